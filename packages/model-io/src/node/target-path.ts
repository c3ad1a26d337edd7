import { lstat, mkdir, realpath, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DigitsError } from '@digits/mnist-data';

/**
 * The absolute path to write for a target the user named (a model directory, a Keras file, an
 * output directory). A symbolic link is followed, as any program follows the paths it is given:
 * digits writes into what the link points to, under the same rules, and the link stays a link
 * (replacing the link itself by a fresh directory would leave the user's real directory behind,
 * silently out of date). A link to nothing is refused: where the user meant to write is unknown.
 */
export async function resolveTarget(path: string, label = path): Promise<string> {
  const absolute = resolve(path);
  let isLink = false;
  try {
    isLink = (await lstat(absolute)).isSymbolicLink();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw writeFailed(error, label);
  }
  if (!isLink) return absolute;
  try {
    return await realpath(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DigitsError('TARGET_NOT_OURS', 'is a symbolic link to a path that does not exist; create what it points to or choose another path', { file: label });
    }
    throw writeFailed(error, label);
  }
}

/** Directories `createDirectories` made; `removeIfEmpty()` takes back those still empty, deepest first. */
export interface CreatedDirectories {
  removeIfEmpty(): Promise<void>;
}

/**
 * `mkdir -p dir`, remembering what it created, so that a command that then fails or is refused
 * leaves no empty directories behind (`removeIfEmpty`, which only ever removes empty directories
 * it made: rmdir refuses anything else).
 */
export async function createDirectories(dir: string, label: string): Promise<CreatedDirectories> {
  let first: string | undefined;
  try {
    first = await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new DigitsError('WRITE_FAILED', `cannot create the directory ${dir}: ${(cause as Error).message}`, { file: label, cause });
  }
  return {
    async removeIfEmpty() {
      if (first === undefined) return;
      for (let path = dir; ; path = dirname(path)) {
        try {
          await rmdir(path);
        } catch {
          return;
        }
        if (path === first || dirname(path) === path) return;
      }
    },
  };
}

function writeFailed(cause: unknown, label: string): DigitsError {
  return new DigitsError('WRITE_FAILED', `cannot look at the target: ${(cause as Error).message}`, { file: label, cause });
}
