import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, ModelDirectory, saveModel, lockFileFor } from '../node';
import { smallMlp, weightBytes } from '../test-utils/models';
import { treeHashes } from '../test-utils/tree';
import { TEMP_MARKER } from './atomic-dir';
import { hasDigitsMark } from './png-mark';
import { readDocsPng } from '../test-utils/fixtures';

let work: string;
let model: tf.Sequential;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-dir-'));
  model = smallMlp(3);
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

/** The pid of a process that has exited (and so is not alive, unless the pid is reused at once). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

const stamp = (pid: number, createdAt = new Date().toISOString()) => JSON.stringify({ pid, host: hostname(), createdAt });

describe('the model writer replaces only files it owns', () => {
  it('the issue-12 repro: a directory with model.json, README.md and src/ is refused and left exactly as it was', async () => {
    const dir = join(work, 'p');
    await mkdir(join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'model.json'), '{}');
    await writeFile(join(dir, 'README.md'), 'notes\n');
    await writeFile(join(dir, 'src', 'main.ts'), 'x\n');
    const before = await treeHashes(dir);
    for (const overwrite of [false, true]) {
      await expect(saveModel(model, dir, { overwrite })).rejects.toMatchObject({
        code: 'TARGET_NOT_OURS',
        message: `${dir}: holds files digits did not write (README.md, src/); choose an empty or new directory`,
      });
    }
    expect(await treeHashes(dir)).toEqual(before);
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a directory of digits files (model, history, plots, shards) is replaced only with overwrite; an empty one at once', async () => {
    const dir = join(work, 'owned');
    await mkdir(dir);
    await saveModel(model, dir);
    for (const name of ['history.json', 'history.csv', 'accuracy.png', 'loss.png', 'confusion.png', 'group1-shard1of1.bin']) await writeFile(join(dir, name), name);
    const before = await treeHashes(dir);
    await expect(saveModel(model, dir)).rejects.toMatchObject({ code: 'MODEL_EXISTS' });
    expect(await treeHashes(dir)).toEqual(before);
    await saveModel(model, dir, { overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('opening refuses before anything is written, with the caller\'s hint', async () => {
    const dir = join(work, 'hinted');
    await saveModel(model, dir);
    await expect(ModelDirectory.open(dir, { overwriteHint: 'add --force to replace it' })).rejects.toMatchObject({
      code: 'MODEL_EXISTS',
      message: `${dir}: already holds a saved model; add --force to replace it`,
    });
    // and the refusal released the lock
    await expect(readFile(lockFileFor(dir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a file that appears in the directory while it is open is not deleted by the next save', async () => {
    const dir = join(work, 'appears');
    const open = await ModelDirectory.open(dir);
    await saveModel(model, open);
    await writeFile(join(open.path, 'mine.txt'), 'mine');
    await expect(saveModel(model, open)).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', message: expect.stringContaining('(mine.txt)') });
    await expect(open.writeFile('notes.md', new Uint8Array(1))).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await open.close();
    expect(await readFile(join(dir, 'mine.txt'), 'utf8')).toBe('mine');
  });
});

describe('the write lock', () => {
  it('a second writer on the same directory is refused while the first holds it, and can go after', async () => {
    const dir = join(work, 'locked');
    const first = await ModelDirectory.open(dir);
    const error = await ModelDirectory.open(dir).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'TARGET_LOCKED', file: dir, message: expect.stringContaining(`pid ${process.pid}`) });
    await expect(saveModel(model, dir)).rejects.toMatchObject({ code: 'TARGET_LOCKED' });
    await saveModel(model, first);
    await first.close();
    await saveModel(model, dir, { overwrite: true });
  });

  it('a lock left by a dead process is taken over', async () => {
    const dir = join(work, 'stale-lock');
    await writeFile(lockFileFor(dir), stamp(deadPid()));
    await saveModel(model, dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    await expect(readFile(lockFileFor(dir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a lock of a live process (this one stands in for it) is not taken over', async () => {
    const dir = join(work, 'live-lock');
    const held = stamp(process.ppid);
    await writeFile(lockFileFor(dir), held);
    await expect(saveModel(model, dir)).rejects.toMatchObject({ code: 'TARGET_LOCKED', message: expect.stringContaining(`pid ${process.ppid}`) });
    expect(await readFile(lockFileFor(dir), 'utf8')).toBe(held);
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(lockFileFor(dir));
  });
});

describe('stale temp directories', () => {
  it('the next save into the parent removes temp dirs of dead writers (our name + marker) and keeps everything else', async () => {
    const parent = join(work, 'temps');
    await mkdir(parent);
    const dead = deadPid();
    const staleTemp = join(parent, `.m.tmp-${dead}-aB3dE9`);
    await mkdir(staleTemp);
    await writeFile(join(staleTemp, TEMP_MARKER), stamp(dead));
    await writeFile(join(staleTemp, 'weights.bin'), new Uint8Array(1000));
    // a live writer's temp dir, one without our marker, one whose marker names another pid, a user's dot-dir
    const liveTemp = join(parent, `.other.tmp-${process.ppid}-xY7zQ1`);
    await mkdir(liveTemp);
    await writeFile(join(liveTemp, TEMP_MARKER), stamp(process.ppid));
    const unmarked = join(parent, `.m.tmp-${dead}-qqqqqq`);
    await mkdir(unmarked);
    const mismatched = join(parent, `.m.tmp-${dead}-rrrrrr`);
    await mkdir(mismatched);
    await writeFile(join(mismatched, TEMP_MARKER), stamp(dead + 1));
    await mkdir(join(parent, '.git'));
    await saveModel(model, join(parent, 'm'));
    expect((await readdir(parent)).sort()).toEqual(['.git', `.m.tmp-${dead}-qqqqqq`, `.m.tmp-${dead}-rrrrrr`, `.other.tmp-${process.ppid}-xY7zQ1`, 'm']);
  });

  it('a temp dir a day old is removed even if its pid is alive again', async () => {
    const parent = join(work, 'old-temps');
    await mkdir(parent);
    const old = join(parent, `.m.tmp-${process.ppid}-zzzzzz`);
    await mkdir(old);
    await writeFile(join(old, TEMP_MARKER), stamp(process.ppid, new Date(Date.now() - 25 * 3600_000).toISOString()));
    await saveModel(model, join(parent, 'm'));
    expect(await readdir(parent)).toEqual(['m']);
  });

  it('temp files a killed writer left inside a model directory (history.csv.<pid>.<hex>.tmp) are removed on the next open; a live writer\'s and foreign ones stay', async () => {
    const dir = join(work, 'file-temps');
    await saveModel(model, dir);
    const dead = deadPid();
    const stale = `history.csv.${dead}.0a1b2c3d.tmp`;
    const live = `history.json.${process.ppid}.0a1b2c3d.tmp`;
    const foreign = `notes.txt.${dead}.0a1b2c3d.tmp`;
    for (const name of [stale, live, foreign]) await writeFile(join(dir, name), 'partial');
    // the live writer's and the foreign temp are not ours to remove, so the directory is still refused
    await expect(ModelDirectory.open(dir, { overwrite: true })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS' });
    expect((await readdir(dir)).sort()).not.toContain(stale);
    await rm(join(dir, live));
    await rm(join(dir, foreign));
    await writeFile(join(dir, stale), 'partial');
    const opened = await ModelDirectory.open(dir, { overwrite: true });
    await opened.close();
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('a kill between the two renames (target moved aside, new one not in place) is undone: the old model comes back', async () => {
    const parent = join(work, 'aside');
    await saveModel(model, join(parent, 'm'));
    const before = await treeHashes(join(parent, 'm'));
    const { rename } = await import('node:fs/promises');
    await rename(join(parent, 'm'), join(parent, `.m.old-${deadPid()}-0a1b2c3d`));
    // a save elsewhere in the same parent repairs it; the model is then there to be refused
    await saveModel(model, join(parent, 'n'));
    expect((await readdir(parent)).sort()).toEqual(['m', 'n']);
    expect(await treeHashes(join(parent, 'm'))).toEqual(before);
  });
});

describe('links, and what a failed run leaves', () => {
  it('a target that is a link to a model directory is written through: the real directory gets the model, the link stays', async () => {
    const real = join(work, 'run-7');
    await saveModel(smallMlp(1), real);
    await writeFile(join(real, 'history.json'), '{}');
    await symlink(real, join(work, 'latest'));
    await expect(saveModel(model, join(work, 'latest'))).rejects.toMatchObject({ code: 'MODEL_EXISTS', file: join(work, 'latest') });
    await saveModel(model, join(work, 'latest'), { overwrite: true });
    expect(await readlink(join(work, 'latest'))).toBe(real);
    expect((await readdir(real)).sort()).toEqual(['model.json', 'weights.bin']);
    const { model: back } = await loadModel(real);
    expect(weightBytes(back)).toEqual(weightBytes(model));
    back.dispose();
    // the lock and the temp directory lived beside the real directory, and are gone
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a link to nothing is refused, and a link inside a model directory is not ours whatever its name', async () => {
    await symlink(join(work, 'no-such-dir'), join(work, 'dangling'));
    await expect(ModelDirectory.open(join(work, 'dangling'))).rejects.toMatchObject({
      code: 'TARGET_NOT_OURS',
      message: `${join(work, 'dangling')}: is a symbolic link to a path that does not exist; create what it points to or choose another path`,
    });
    const dir = join(work, 'with-link');
    await saveModel(model, dir);
    await writeFile(join(work, 'my-weights.bin'), 'mine');
    await symlink(join(work, 'my-weights.bin'), join(dir, 'group1-shard1of1.bin'));
    const before = await treeHashes(dir);
    await expect(saveModel(model, dir, { overwrite: true })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', message: expect.stringContaining('(group1-shard1of1.bin (not a regular file))') });
    expect(await treeHashes(dir)).toEqual(before);
  });

  it('parent directories made by open are removed at close when nothing was saved; kept once a model is in them', async () => {
    const failed = await ModelDirectory.open(join(work, 'new-a', 'b', 'm'));
    expect(await readdir(join(work, 'new-a', 'b'))).toEqual(['.m.digits-lock']);
    await failed.close();
    await expect(readdir(join(work, 'new-a'))).rejects.toMatchObject({ code: 'ENOENT' });
    const saved = await ModelDirectory.open(join(work, 'new-b', 'b', 'm'));
    await saveModel(model, saved);
    await saved.close();
    expect(await readdir(join(work, 'new-b', 'b', 'm'))).toEqual(['model.json', 'weights.bin']);
  });

  it('writeFile gives a PNG digits\' mark', async () => {
    const dir = await ModelDirectory.open(join(work, 'marked'));
    await saveModel(model, dir);
    await dir.writeFile('loss.png', readDocsPng('loss.png'));
    await dir.close();
    expect(hasDigitsMark(new Uint8Array(await readFile(join(work, 'marked', 'loss.png'))))).toBe(true);
  });
});
