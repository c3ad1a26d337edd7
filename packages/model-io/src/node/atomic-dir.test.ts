import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDirectoryAtomic } from './atomic-dir';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-atomic-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const always = () => true;

describe('writeDirectoryAtomic', () => {
  it('a write that fails half-way leaves the previous directory complete and no temp directory', async () => {
    const dir = join(work, 'model');
    await writeDirectoryAtomic(dir, { 'model.json': '{"v": 1}', 'weights.bin': new Uint8Array([1, 2, 3]) }, always);
    // the second file cannot be created (its folder does not exist): the first was already written to the temp dir
    const error = await writeDirectoryAtomic(dir, { 'model.json': '{"v": 2}', 'missing/weights.bin': new Uint8Array([9]) }, always).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'DigitsError', code: 'WRITE_FAILED', file: dir });
    expect(await readFile(join(dir, 'model.json'), 'utf8')).toBe('{"v": 1}');
    expect(Array.from(await readFile(join(dir, 'weights.bin')))).toEqual([1, 2, 3]);
    expect(await readdir(work)).toEqual(['model']);
  });

  it('replaces a directory wholesale: files of the old version do not survive', async () => {
    const dir = join(work, 'replaced');
    await writeDirectoryAtomic(dir, { 'model.json': 'old', 'old-shard.bin': 'x' }, always);
    await writeDirectoryAtomic(dir, { 'model.json': 'new' }, always);
    expect(await readdir(dir)).toEqual(['model.json']);
    expect((await readdir(work)).filter((name) => /\.old-|\.tmp-/.test(name))).toEqual([]);
  });

  it('refuses a target that is a file', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'data');
    await expect(writeDirectoryAtomic(file, { 'model.json': '{}' }, always)).rejects.toMatchObject({ code: 'WRITE_FAILED', message: expect.stringMatching(/not a directory/) });
    expect(await readFile(file, 'utf8')).toBe('data');
  });
});
