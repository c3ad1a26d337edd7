import { readFile } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { writeFileAtomic } from '@digits/mnist-data/node';
import { importKeras, type ImportKerasOptions } from '../keras-import';
import { exportKeras, type KerasFormat } from '../keras-export';

/** Reads and imports a Keras .h5 or .keras file; `configJson` may be a path to a to_json() file for save_weights files. */
export async function readKerasFile(path: string, options: { configJson?: string | object } = {}): Promise<tf.LayersModel> {
  const bytes = await readOrFail(path);
  const importOptions: ImportKerasOptions = { fileName: path };
  if (typeof options.configJson === 'string' && !options.configJson.trimStart().startsWith('{')) {
    importOptions.configJson = new TextDecoder().decode(await readOrFail(options.configJson));
  } else if (options.configJson !== undefined) {
    importOptions.configJson = options.configJson;
  }
  return importKeras(bytes, importOptions);
}

/** Exports a model to .h5 or .keras (chosen by `format`, else by the file extension) and writes it atomically. */
export async function writeKerasFile(model: tf.LayersModel, path: string, format?: KerasFormat): Promise<void> {
  const chosen = format ?? (path.endsWith('.keras') ? 'keras' : 'h5');
  await writeFileAtomic(path, await exportKeras(model, chosen));
}

async function readOrFail(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new DigitsError('MODEL_NOT_FOUND', (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read file: ${(cause as Error).message}`, { file: path, cause });
  }
}
