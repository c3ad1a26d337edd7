import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { assertLayersModel, assertString, DigitsError } from '@digits/mnist-data';
import { readRegularFile, writeFileAtomic } from '@digits/mnist-data/node';
import { importKeras, type ImportKerasOptions } from '../keras-import';
import { exportKeras, type KerasFormat } from '../keras-export';
import { MODEL_LIMITS } from '../limits';
import { detectContainer } from '../magic';
import { lockTarget } from './lock';
import type { ModelDirectoryOptions } from './model-dir';
import { createDirectories, resolveTarget } from './target-path';

/** Reads and imports a Keras .h5 or .keras file; `configJson` may be a path to a to_json() file for save_weights files. */
export async function readKerasFile(path: string, options: { configJson?: string | object } = {}): Promise<tf.LayersModel> {
  assertString(path, 'readKerasFile: path');
  const bytes = await readRegularFile(path, { maxBytes: MODEL_LIMITS.maxKerasFileBytes, code: 'MODEL_NOT_FOUND', what: 'a Keras file' });
  const importOptions: ImportKerasOptions = { fileName: path };
  if (typeof options.configJson === 'string' && !options.configJson.trimStart().startsWith('{')) {
    const json = await readRegularFile(options.configJson, { maxBytes: MODEL_LIMITS.maxJsonBytes, code: 'MODEL_NOT_FOUND', what: 'a Keras config' });
    importOptions.configJson = new TextDecoder().decode(json);
  } else if (options.configJson !== undefined) {
    importOptions.configJson = options.configJson;
  }
  return importKeras(bytes, importOptions);
}

/**
 * Exports a model to .h5 or .keras (chosen by `format`, else by the file extension) and writes it
 * atomically, under a lock beside it. An existing Keras file is replaced only with `overwrite`
 * (MODEL_EXISTS); an existing file that is not a Keras model, never (TARGET_NOT_OURS). A path that
 * is a symbolic link is written through (the file it points to is replaced, the link stays); parent
 * directories created for a write that then fails are removed again.
 */
export async function writeKerasFile(model: tf.LayersModel, path: string, format?: KerasFormat, options: ModelDirectoryOptions = {}): Promise<void> {
  assertLayersModel(model, 'writeKerasFile: model');
  assertString(path, 'writeKerasFile: path');
  const chosen = format ?? (path.endsWith('.keras') ? 'keras' : 'h5');
  const bytes = await exportKeras(model, chosen);
  const absolute = await resolveTarget(path);
  const parents = await createDirectories(dirname(absolute), path);
  try {
    const lock = await lockTarget(absolute, path);
    try {
      await checkReplaceable(absolute, path, options);
      await writeFileAtomic(absolute, bytes);
    } finally {
      await lock.release();
    }
  } catch (error) {
    await parents.removeIfEmpty();
    throw error;
  }
}

async function checkReplaceable(path: string, label: string, options: ModelDirectoryOptions): Promise<void> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO at the target opens at once (and is then refused) instead of waiting for a writer
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new DigitsError('TARGET_NOT_OURS', 'is a directory; give a file name ending in .h5 or .keras', { file: label });
    throw new DigitsError('WRITE_FAILED', `cannot read the existing file: ${(error as Error).message}`, { file: label, cause: error });
  }
  try {
    const info = await handle.stat();
    const head = new Uint8Array(Math.min(info.size, 1 << 16));
    await handle.read(head, 0, head.length, 0);
    if (!info.isFile() || !isKerasContainer(head)) {
      throw new DigitsError('TARGET_NOT_OURS', 'exists and is not a Keras model; digits replaces only model files, choose another file name', { file: label });
    }
  } finally {
    await handle.close();
  }
  if (!options.overwrite) {
    throw new DigitsError('MODEL_EXISTS', `already holds a saved model; ${options.overwriteHint ?? 'pass overwrite: true to replace it'}`, { file: label });
  }
}

function isKerasContainer(head: Uint8Array): boolean {
  try {
    detectContainer(head);
    return true;
  } catch {
    return false;
  }
}
