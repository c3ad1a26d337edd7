import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileBytes, writeFileAtomic } from '../node';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mnist-data-files-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const temps = async () => (await readdir(work)).filter((n) => n.endsWith('.tmp'));

describe('writeFileAtomic failing half-way', () => {
  it('a data source that fails after part of the file is written: the old file stays, the temp file goes', async () => {
    const path = join(work, 'weights.bin');
    await writeFile(path, 'the old contents');
    let tempSeen: { name: string; size: number } | undefined;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(64 * 1024).fill(1);
      yield new Uint8Array(64 * 1024).fill(2);
      // the first chunks are on disk in the temp file beside the target by now
      const [name] = await temps();
      tempSeen = { name: name!, size: (await stat(join(work, name!))).size };
      throw new Error('the source broke off');
    }
    const error = await writeFileAtomic(path, chunks()).then(() => undefined, (e: unknown) => e);
    expect(tempSeen?.size).toBeGreaterThan(0);
    expect(error).toMatchObject({ name: 'DigitsError', code: 'WRITE_FAILED', file: path, message: `${path}: cannot write file: the source broke off` });
    expect(await readFile(path, 'utf8')).toBe('the old contents');
    expect(await temps()).toEqual([]);
  });

  it('a rename that fails after the whole temp file is written (a directory in the way): nothing changes', async () => {
    const path = join(work, 'in-the-way');
    await mkdir(path);
    await writeFile(join(path, 'notes.txt'), 'mine');
    const error = await writeFileAtomic(path, new Uint8Array(1000)).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'WRITE_FAILED', file: path });
    // the path once: Node's "EISDIR: ..., rename 'a.tmp' -> 'a'" is not repeated
    expect((error as Error).message).toMatch(new RegExp(`^${path}: cannot write file: [^/]*\\((EISDIR|ENOTEMPTY|EEXIST)\\)$`));
    expect(await readdir(path)).toEqual(['notes.txt']);
    expect(await temps()).toEqual([]);
  });

  it('streams chunks into a complete file when nothing fails', async () => {
    const path = join(work, 'streamed.bin');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 4; i++) yield new Uint8Array(10).fill(i);
    }
    await writeFileAtomic(path, chunks());
    expect([...(await readFile(path))]).toEqual([0, 1, 2, 3].flatMap((i) => new Array(10).fill(i)));
  });
});

describe('file errors name the file once', () => {
  it("a path through a file (ENOTDIR): Node's message, which ends in the path, is reduced to its reason", async () => {
    const file = join(work, 'plain.txt');
    await writeFile(file, 'x');
    const path = join(file, 'child');
    const error = await readFileBytes(path).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATASET_FILE_MISSING', message: `${path}: cannot read file: a part of the path is not a directory (ENOTDIR)` });
  });
});
