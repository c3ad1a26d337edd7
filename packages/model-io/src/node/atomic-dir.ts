import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DigitsError } from '@digits/mnist-data';

/**
 * Writes `files` into a fresh temp directory beside `dir`, then swaps it in. An existing `dir` is
 * moved aside first and deleted only after the new one is in place, so a failure at any point
 * leaves either the old complete directory or the new complete one. `isReplaceable` guards
 * against wiping a directory that is not ours to replace.
 */
export async function writeDirectoryAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
  isReplaceable: (existing: string[]) => boolean,
): Promise<void> {
  const parent = dirname(dir);
  let temp: string | undefined;
  try {
    await mkdir(parent, { recursive: true });
    const existing = await listIfDirectory(dir);
    if (existing && existing.length > 0 && !isReplaceable(existing)) {
      throw new DigitsError('WRITE_FAILED', 'the directory exists and does not hold a saved model; refusing to replace it', { file: dir });
    }
    temp = await mkdtemp(join(parent, `.${basename(dir)}.tmp-`));
    for (const [name, content] of Object.entries(files)) await writeFile(join(temp, name), content, { flush: true });
    if (existing === undefined) {
      await rename(temp, dir);
      return;
    }
    const aside = join(parent, `.${basename(dir)}.old-${randomBytes(4).toString('hex')}`);
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
    throw new DigitsError('WRITE_FAILED', `cannot write the model directory: ${(cause as Error).message}`, { file: dir, cause });
  }
}

async function listIfDirectory(dir: string): Promise<string[] | undefined> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!info.isDirectory()) throw new DigitsError('WRITE_FAILED', 'the target exists and is not a directory', { file: dir });
  return readdir(dir);
}
