import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DigitsError } from '@digits/mnist-data';
import { fsErrorReason, parseAtomicTempName } from '@digits/mnist-data/node';
import { readStamp, writerAlive, writerStamp } from './process-alive';

/** Inside each temp directory while it is written: who writes it, so a later run can tell it is stale. */
export const TEMP_MARKER = '.digits-temp';

/** Temp and moved-aside directories are named `.<target>.tmp-<pid>-<random>` / `.<target>.old-<pid>-<hex>`. */
const TEMP_NAME = /^\.(.+)\.tmp-(\d+)-[A-Za-z0-9]{6}$/;
const ASIDE_NAME = /^\.(.+)\.old-(\d+)-[0-9a-f]{8}$/;

/** Temp directories older than this are stale even when their pid is alive again (pid reuse). */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Writes `files` into a fresh temp directory beside `dir`, then swaps it in. An existing `dir` is
 * moved aside first and deleted only after the new one is in place, so a failure at any point
 * leaves either the old complete directory or the new complete one. `guard` sees the existing
 * directory's entries (undefined when there is none) right before anything is moved, and throws to
 * refuse (a directory holding files that are not ours, a model not to be replaced).
 */
export async function writeDirectoryAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
  guard: (existing: { name: string; isDirectory: boolean; isFile: boolean }[] | undefined) => void,
  label = dir,
): Promise<void> {
  const parent = dirname(dir);
  let temp: string | undefined;
  try {
    await mkdir(parent, { recursive: true });
    guard(await listIfDirectory(dir, label));
    temp = await mkdtemp(join(parent, `.${basename(dir)}.tmp-${process.pid}-`));
    await writeFile(join(temp, TEMP_MARKER), JSON.stringify(writerStamp()));
    for (const [name, content] of Object.entries(files)) await writeFile(join(temp, name), content, { flush: true });
    await unlink(join(temp, TEMP_MARKER));
    // checked again: a file may have appeared since the first look
    const existing = await listIfDirectory(dir, label);
    guard(existing);
    if (existing === undefined) {
      await rename(temp, dir);
      return;
    }
    const aside = join(parent, `.${basename(dir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
    await rename(dir, aside);
    try {
      await rename(temp, dir);
    } catch (error) {
      await rename(aside, dir);
      throw error;
    }
    await rm(aside, { recursive: true, force: true });
  } catch (cause) {
    if (temp) await rm(temp, { recursive: true, force: true });
    if (cause instanceof DigitsError) throw cause;
    throw new DigitsError('WRITE_FAILED', `cannot write the model directory: ${fsErrorReason(cause)}`, { file: label, cause });
  }
}

/**
 * Removes the temp files writeFileAtomic left inside `dir` when its process was killed mid-write
 * (`history.csv.<pid>.<hex>.tmp`): only regular files, only for a name `isOwned` accepts, only when
 * that pid is no longer running here. Call it while holding the directory's lock, so no live digits
 * writer can be mid-write. Without this a resume after `kill -9` would find a "foreign" file.
 * Returns the paths removed.
 */
export async function cleanStaleFileTemps(dir: string, isOwned: (name: string) => boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const done: string[] = [];
  for (const entry of entries) {
    const temp = parseAtomicTempName(entry.name);
    if (!temp || !entry.isFile() || !isOwned(temp.target)) continue;
    if (writerAlive({ pid: temp.pid, host: writerStamp().host, createdAt: '' })) continue;
    await rm(join(dir, entry.name), { force: true });
    done.push(join(dir, entry.name));
  }
  return done;
}

/**
 * Removes what a killed writer left in `parent`: temp directories of ours (our naming and our
 * marker inside) whose writer is dead or that are a day old, and moved-aside old directories whose
 * writer is dead. An aside whose target is missing (killed between the two renames) is the last
 * complete version: it is renamed back instead. Anything else, and every live writer's files, stay.
 * Returns the paths removed or restored.
 */
export async function cleanStaleTemps(parent: string, isOwned: (name: string) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const name of names) {
    const path = join(parent, name);
    const temp = TEMP_NAME.exec(name);
    if (temp) {
      const stamp = await readStamp(join(path, TEMP_MARKER));
      if (!stamp || stamp.pid !== Number(temp[2])) continue;
      const old = Date.now() - Date.parse(stamp.createdAt) > STALE_AFTER_MS;
      if (old || !writerAlive(stamp)) {
        await rm(path, { recursive: true, force: true });
        done.push(path);
      }
      continue;
    }
    const aside = ASIDE_NAME.exec(name);
    if (aside && !writerAlive({ pid: Number(aside[2]), host: writerStamp().host, createdAt: '' })) {
      const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
      // only ever a directory of our own files was moved aside; anything else is not ours to touch
      if (!entries || !entries.every((e) => e.isFile() && isOwned(e.name))) continue;
      const target = join(parent, aside[1]!);
      if (await listIfDirectory(target).catch(() => null) === undefined) await rename(path, target);
      else await rm(path, { recursive: true, force: true });
      done.push(path);
    }
  }
  return done;
}

async function listIfDirectory(dir: string, label = dir): Promise<{ name: string; isDirectory: boolean; isFile: boolean }[] | undefined> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!info.isDirectory()) throw new DigitsError('WRITE_FAILED', 'the target exists and is not a directory', { file: label });
  return (await readdir(dir, { withFileTypes: true })).map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory(), isFile: entry.isFile() }));
}
