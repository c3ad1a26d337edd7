import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { DigitsError } from '@digits/mnist-data';
import { writeFileAtomic } from '@digits/mnist-data/node';
import { isOwnedModelFile, isSavedModelFile, MODEL_FILES } from '../owned-files';
import { lockTarget, type TargetLock } from './lock';
import { DIGITS_MARK_LENGTH, hasDigitsMark, markDigitsPng } from './png-mark';
import { createDirectories, resolveTarget } from './target-path';

export interface OutputFilesOptions {
  /** Also replace existing regular files digits did not write (default false: TARGET_NOT_OURS). */
  force?: boolean;
  /** Appended to the TARGET_NOT_OURS message, e.g. "add --force to replace it" (default: how to ask the library). */
  forceHint?: string;
}

/**
 * Output files are what digits draws for people to look at (evaluate's confusion.png, inspect's
 * plots, predict's 28x28 previews), written under fixed names into a directory the user names or
 * beside a model. An existing entry of the same name is replaced only when it is a regular file
 * digits wrote:
 * - in a model directory (one holding model.json), a file whose name is one of `MODEL_FILES`;
 * - anywhere, a PNG carrying digits' mark (`Software: digits`, see png-mark.ts), which every PNG
 *   written here gets;
 * - with `force`, any regular file.
 * A symbolic link, directory or other special file at the name is never replaced, not even with
 * `force` (the link's target would be left out of date, or written outside the directory). The
 * directory itself may be a symbolic link (it is followed). Returns the paths as `dir` + name.
 *
 * `checkOutputFiles` looks without writing or creating anything, so a long command can refuse
 * before it starts; `writeOutputFiles` checks again under the lock, creates the directory if
 * needed (and removes it again if the write then fails), and writes each file atomically. With no
 * names, neither looks at `dir`. The lock: a model directory's own (beside it, the one
 * `ModelDirectory` holds, so plots are never written into a directory being swapped); elsewhere one
 * lock file per output file beside it.
 */
export async function checkOutputFiles(dir: string, names: string[], options: OutputFilesOptions = {}): Promise<string[]> {
  if (names.length > 0) await inspectTarget(dir, names, options);
  return names.map((name) => join(dir, name));
}

/** Writes `files` (name -> bytes) into `dir` under the rules of `checkOutputFiles`; PNGs get digits' mark. */
export async function writeOutputFiles(dir: string, files: Record<string, Uint8Array>, options: OutputFilesOptions = {}): Promise<string[]> {
  const names = Object.keys(files);
  if (names.length === 0) return [];
  // refused before anything is created or locked
  const { absolute, modelDirectory } = await inspectTarget(dir, names, options);
  const parents = await createDirectories(absolute, dir);
  try {
    const locks = modelDirectory ? [await lockTarget(absolute, dir)] : await lockAll(names.map((name) => join(absolute, name)), dir);
    try {
      await inspectTarget(dir, names, options);
      for (const name of names) await writeFileAtomic(join(absolute, name), markDigitsPng(files[name]!));
    } finally {
      for (const lock of locks) await lock.release();
    }
  } catch (error) {
    await parents.removeIfEmpty();
    throw error;
  }
  return names.map((name) => join(dir, name));
}

async function inspectTarget(dir: string, names: string[], options: OutputFilesOptions): Promise<{ absolute: string; modelDirectory: boolean }> {
  for (const name of names) checkName(name);
  const absolute = await resolveTarget(dir);
  const here = await entryKind(absolute, dir);
  if (here === 'missing') return { absolute, modelDirectory: false };
  if (here !== 'directory') throw new DigitsError('TARGET_NOT_OURS', 'exists and is not a directory; choose a directory for the output files', { file: dir });
  const modelDirectory = (await entryKind(join(absolute, MODEL_FILES.model), dir)) === 'file';
  for (const name of names) {
    const label = join(dir, name);
    const kind = await entryKind(join(absolute, name), label);
    if (kind === 'missing') continue;
    if (kind !== 'file') {
      throw new DigitsError('TARGET_NOT_OURS', `is ${kind === 'link' ? 'a symbolic link' : kind === 'directory' ? 'a directory' : 'not a regular file'}; digits replaces only files it wrote, remove it or choose another directory`, { file: label });
    }
    if (modelDirectory && isOwnedModelFile(name)) continue;
    if (options.force || (await carriesDigitsMark(join(absolute, name), label))) continue;
    throw new DigitsError('TARGET_NOT_OURS', `exists and was not written by digits; ${options.forceHint ?? 'pass force: true to replace it'}`, { file: label });
  }
  return { absolute, modelDirectory };
}

/** One plain file name: the writer decides nothing about other directories, and never writes a model's own files. */
function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[\\/]/.test(name)) {
    throw new DigitsError('BAD_ARGUMENT', `output file name ${JSON.stringify(name)} must be a plain file name`);
  }
  if (isSavedModelFile(name)) {
    throw new DigitsError('BAD_ARGUMENT', `${name} is a model file; save models with saveModel`);
  }
}

type EntryKind = 'missing' | 'file' | 'directory' | 'link' | 'other';

/** What is at `path`, not following a final symbolic link (except for `dir` itself, resolved before). */
async function entryKind(path: string, label: string): Promise<EntryKind> {
  try {
    const info = await lstat(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'link' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new DigitsError('WRITE_FAILED', `cannot look at the target: ${(error as Error).message}`, { file: label, cause: error });
  }
}

/** Reads only the first bytes of a regular file (checked by the caller): a few dozen bytes tell. */
async function carriesDigitsMark(path: string, label: string): Promise<boolean> {
  try {
    // O_NONBLOCK: should a FIFO replace the file since the check, opening it does not wait for a writer
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const head = new Uint8Array(DIGITS_MARK_LENGTH);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return hasDigitsMark(head.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new DigitsError('WRITE_FAILED', `cannot read the existing file: ${(error as Error).message}`, { file: label, cause: error });
  }
}

/** Takes every lock or none (a refused one releases those already taken). */
async function lockAll(targets: string[], label: string): Promise<TargetLock[]> {
  const locks: TargetLock[] = [];
  try {
    for (const target of targets) locks.push(await lockTarget(target, label));
    return locks;
  } catch (error) {
    for (const lock of locks) await lock.release();
    throw error;
  }
}
