import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputFiles, writeOutputFiles } from '../files';
import { readDocsPng } from '../test-utils/fixtures';
import { treeHashes } from '../test-utils/tree';
import { lockFileFor, lockTarget } from './lock';
import { hasDigitsMark } from './png-mark';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-outputs-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** A real PNG digits' renderer drew (unmarked, like a file a user saved under the same name). */
const plot = readDocsPng('confusion.png');
const hint = { forceHint: 'add --force to replace it' };

describe('output files replace only what digits wrote', () => {
  it('into a new directory: checking creates nothing; writing creates it and marks each PNG', async () => {
    const dir = join(work, 'new', 'plots');
    expect(await checkOutputFiles(dir, ['confusion.png'])).toEqual([join(dir, 'confusion.png')]);
    expect(await readdir(work)).toEqual([]);
    expect(await writeOutputFiles(dir, { 'confusion.png': plot, 'a.28x28.png': plot })).toEqual([join(dir, 'confusion.png'), join(dir, 'a.28x28.png')]);
    expect((await readdir(dir)).sort()).toEqual(['a.28x28.png', 'confusion.png']);
    const written = new Uint8Array(await readFile(join(dir, 'confusion.png')));
    expect(hasDigitsMark(written)).toBe(true);
    expect(written.length).toBe(plot.length + 27);
  });

  it("a user's file of the same name is refused (check and write), nothing changes; --force replaces it; then it is ours", async () => {
    const dir = join(work, 'mine');
    await mkdir(dir);
    await writeFile(join(dir, 'confusion.png'), plot);
    await writeFile(join(dir, 'notes.txt'), 'notes');
    const before = await treeHashes(work);
    const refusal = { code: 'TARGET_NOT_OURS', message: `${join(dir, 'confusion.png')}: exists and was not written by digits; add --force to replace it` };
    await expect(checkOutputFiles(dir, ['misclassified.png', 'confusion.png'], hint)).rejects.toMatchObject(refusal);
    // the first, free name is not written either: all are checked before any is written
    await expect(writeOutputFiles(dir, { 'misclassified.png': plot, 'confusion.png': plot }, hint)).rejects.toMatchObject(refusal);
    expect(await treeHashes(work)).toEqual(before);
    await writeOutputFiles(dir, { 'confusion.png': plot }, { force: true });
    expect(hasDigitsMark(new Uint8Array(await readFile(join(dir, 'confusion.png'))))).toBe(true);
    // marked now: the next run replaces it without asking
    await writeOutputFiles(dir, { 'confusion.png': readDocsPng('loss.png') });
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('notes');
    expect((await readdir(dir)).sort()).toEqual(['confusion.png', 'notes.txt']);
  });

  it('in a model directory our own names are replaced even unmarked (written before the mark); other names are not', async () => {
    const dir = join(work, 'model');
    await mkdir(dir);
    await writeFile(join(dir, 'model.json'), '{}');
    await writeFile(join(dir, 'confusion.png'), 'an old plot');
    await writeFile(join(dir, 'test-0.28x28.png'), plot);
    await writeOutputFiles(dir, { 'confusion.png': plot });
    expect(hasDigitsMark(new Uint8Array(await readFile(join(dir, 'confusion.png'))))).toBe(true);
    await expect(writeOutputFiles(dir, { 'test-0.28x28.png': plot })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS' });
    expect(new Uint8Array(await readFile(join(dir, 'test-0.28x28.png')))).toEqual(plot);
    // a model's own files are never output files
    for (const name of ['model.json', 'weights.bin', 'group1-shard1of2.bin', '../x.png', 'a/b.png', '']) {
      await expect(writeOutputFiles(dir, { [name]: plot }, { force: true })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    }
    expect(await readFile(join(dir, 'model.json'), 'utf8')).toBe('{}');
  });

  it("a model directory's lock is honoured (a training run holds it); elsewhere each file has its own", async () => {
    const dir = join(work, 'training');
    await mkdir(dir);
    await writeFile(join(dir, 'model.json'), '{}');
    const held = await lockTarget(dir);
    await expect(writeOutputFiles(dir, { 'confusion.png': plot })).rejects.toMatchObject({ code: 'TARGET_LOCKED', file: dir });
    await held.release();
    expect(await readdir(dir)).toEqual(['model.json']);
    const plain = join(work, 'plain');
    await mkdir(plain);
    const one = await lockTarget(join(plain, 'b.png'));
    await expect(writeOutputFiles(plain, { 'a.png': plot, 'b.png': plot })).rejects.toMatchObject({ code: 'TARGET_LOCKED' });
    await one.release();
    // the lock taken on a.png before b.png was refused is released, and nothing was written
    expect(await readdir(plain)).toEqual([]);
    await writeOutputFiles(plain, { 'a.png': plot, 'b.png': plot });
    expect((await readdir(plain)).sort()).toEqual(['a.png', 'b.png']);
    await expect(readFile(lockFileFor(join(plain, 'a.png')))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('symbolic links', () => {
  it('a link (or directory) at an output name is never replaced, not even with force; its target is untouched', async () => {
    const dir = join(work, 'links');
    await mkdir(join(dir, 'misclassified.png'), { recursive: true });
    await writeFile(join(work, 'thesis-figure.png'), plot);
    await symlink(join(work, 'thesis-figure.png'), join(dir, 'confusion.png'));
    await writeFile(join(dir, 'model.json'), '{}'); // not even in a model directory, under our own name
    const before = await treeHashes(work);
    await expect(writeOutputFiles(dir, { 'confusion.png': plot }, { force: true })).rejects.toMatchObject({
      code: 'TARGET_NOT_OURS',
      message: `${join(dir, 'confusion.png')}: is a symbolic link; digits replaces only files it wrote, remove it or choose another directory`,
    });
    await expect(writeOutputFiles(dir, { 'misclassified.png': plot }, { force: true })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', message: expect.stringContaining(': is a directory;') });
    expect(await treeHashes(work)).toEqual(before);
  });

  it('the directory itself may be a link: the files land where it points and the link stays; a link to nothing is refused', async () => {
    await mkdir(join(work, 'real-out'));
    await symlink(join(work, 'real-out'), join(work, 'out-link'));
    expect(await writeOutputFiles(join(work, 'out-link'), { 'a.png': plot })).toEqual([join(work, 'out-link', 'a.png')]);
    expect(await readdir(join(work, 'real-out'))).toEqual(['a.png']);
    expect((await treeHashes(work))['out-link']).toBe(`-> ${join(work, 'real-out')}`);

    await symlink(join(work, 'nowhere'), join(work, 'dangling'));
    const before = await treeHashes(work);
    const refusal = { code: 'TARGET_NOT_OURS', message: `${join(work, 'dangling')}: is a symbolic link to a path that does not exist; create what it points to or choose another path` };
    await expect(checkOutputFiles(join(work, 'dangling'), ['a.png'])).rejects.toMatchObject(refusal);
    await expect(writeOutputFiles(join(work, 'dangling'), { 'a.png': plot })).rejects.toMatchObject(refusal);
    await writeFile(join(work, 'a-file'), 'x');
    await expect(writeOutputFiles(join(work, 'a-file'), { 'a.png': plot })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', message: expect.stringContaining('exists and is not a directory') });
    expect(await treeHashes(work)).toEqual({ ...before, 'a-file': expect.any(String) });
  });
});
