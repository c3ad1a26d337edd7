import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { writeFileAtomic } from '@digits/mnist-data/node';
import { foreignEntries, isOwnedModelFile, MODEL_FILES } from '../owned-files';
import { cleanStaleFileTemps, cleanStaleTemps } from './atomic-dir';
import { saveToDirectory } from './write-model';
import { lockTarget, type TargetLock } from './lock';
import { markDigitsPng } from './png-mark';
import { createDirectories, resolveTarget, type CreatedDirectories } from './target-path';

export interface ModelDirectoryOptions {
  /** Replace a model the directory already holds (default false: MODEL_EXISTS). */
  overwrite?: boolean;
  /** Appended to the MODEL_EXISTS message, e.g. "add --force to replace it" (default: how to ask the library). */
  overwriteHint?: string;
}

type Listing = { name: string; isDirectory: boolean; isFile: boolean }[] | undefined;

/**
 * A model directory opened for writing: while open, this process holds its lock (a second writer
 * gets TARGET_LOCKED), and every save replaces the directory atomically, only ever when it holds
 * nothing but files digits writes (`MODEL_FILES`, weight shards). Opening checks that at once, so a
 * long job (training) is refused before it starts: a directory holding anything else is
 * TARGET_NOT_OURS naming what is there; one holding a model is MODEL_EXISTS unless `overwrite`.
 * Opening also removes stale temp directories that killed writers left beside it. A path that is a
 * symbolic link is written through (the directory it points to is replaced, the link stays); parent
 * directories opening had to create are removed again at `close()` when nothing was saved in them
 * (a run that fails before its first save leaves nothing behind). Close with `close()`.
 */
export class ModelDirectory {
  /** Whether the directory held a model (model.json) when it was opened. */
  readonly hadModel: boolean;
  private mayReplace: boolean;

  private constructor(
    /** the path as given (used in messages) */
    readonly path: string,
    private readonly absolute: string,
    private readonly lock: TargetLock,
    private readonly parents: CreatedDirectories,
    existing: Listing,
    private readonly options: ModelDirectoryOptions,
  ) {
    this.hadModel = existing?.some((e) => e.name === MODEL_FILES.model) ?? false;
    this.mayReplace = options.overwrite ?? false;
  }

  static async open(path: string, options: ModelDirectoryOptions = {}): Promise<ModelDirectory> {
    const absolute = await resolveTarget(path);
    const parents = await createDirectories(dirname(absolute), path);
    let lock: TargetLock | undefined;
    try {
      lock = await lockTarget(absolute, path);
      await cleanStaleTemps(dirname(absolute), isOwnedModelFile);
      await cleanStaleFileTemps(absolute, isOwnedModelFile);
      const existing = await listing(absolute, path);
      const directory = new ModelDirectory(path, absolute, lock, parents, existing, options);
      directory.check(existing);
      return directory;
    } catch (error) {
      await lock?.release();
      await parents.removeIfEmpty();
      throw error;
    }
  }

  /** A tfjs IOHandler that saves into this directory (atomically, under the checks above). */
  handler(): tf.io.IOHandler {
    return {
      save: async (artifacts) => {
        const result = await saveToDirectory(this.absolute, artifacts, (existing) => this.check(existing), this.path);
        // from now on the model here is the one this process wrote
        this.mayReplace = true;
        return result;
      },
    };
  }

  /** Writes one of the files digits owns (history.json, a plot, ...) into the directory, atomically; a PNG gets digits' mark (png-mark.ts). */
  async writeFile(name: string, bytes: Uint8Array): Promise<string> {
    if (!isOwnedModelFile(name) || name === MODEL_FILES.model) {
      throw new DigitsError('BAD_ARGUMENT', `${name} is not one of the files digits writes into a model directory`, { file: this.path });
    }
    this.check(await listing(this.absolute, this.path));
    await mkdir(this.absolute, { recursive: true });
    await writeFileAtomic(join(this.absolute, name), markDigitsPng(bytes));
    return join(this.path, name);
  }

  /** Releases the lock, and removes the parent directories `open` created if nothing was saved in them. */
  async close(): Promise<void> {
    await this.lock.release();
    await this.parents.removeIfEmpty();
  }

  private check(existing: Listing): void {
    if (!existing) return;
    const foreign = foreignEntries(existing);
    if (foreign.length > 0) {
      const shown = foreign.length > 8 ? [...foreign.slice(0, 8), `... ${foreign.length - 8} more`] : foreign;
      throw new DigitsError('TARGET_NOT_OURS', `holds files digits did not write (${shown.join(', ')}); choose an empty or new directory`, { file: this.path });
    }
    if (!this.mayReplace && existing.some((e) => e.name === MODEL_FILES.model)) {
      throw new DigitsError('MODEL_EXISTS', `already holds a saved model; ${this.options.overwriteHint ?? 'pass overwrite: true to replace it'}`, { file: this.path });
    }
  }
}

/** Opens `path`, runs `write`, closes (also when `write` throws). */
export async function withModelDirectory<T>(path: string, options: ModelDirectoryOptions, write: (dir: ModelDirectory) => Promise<T>): Promise<T> {
  const dir = await ModelDirectory.open(path, options);
  try {
    return await write(dir);
  } finally {
    await dir.close();
  }
}

async function listing(absolute: string, label: string): Promise<Listing> {
  try {
    return (await readdir(absolute, { withFileTypes: true })).map((e) => ({ name: e.name, isDirectory: e.isDirectory(), isFile: e.isFile() }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new DigitsError('TARGET_NOT_OURS', 'exists and is not a directory; choose an empty or new directory', { file: label });
    throw new DigitsError('WRITE_FAILED', `cannot read the directory: ${(error as Error).message}`, { file: label, cause: error });
  }
}

