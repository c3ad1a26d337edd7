import { DigitsError, isDigitsError } from '@digits/mnist-data';
import { importKeras } from '@digits/model-io';
import type { ActiveModel } from './model-source';

/**
 * A Keras model from dropped or picked files: a full .h5 / .keras file, or a save_weights .h5 with
 * its architecture (the `model.to_json()` .json file) beside it. Loaded on demand: this module, and
 * through it h5wasm (1 MB gzip), is imported only when a Keras file arrives.
 */
export async function kerasModelFromFiles(keras: File, others: File[]): Promise<ActiveModel> {
  const config = others.find((f) => /\.json$/i.test(f.name));
  const configJson = config ? await config.text() : undefined;
  if (config && configJson !== undefined && /"modelTopology"/.test(configJson)) {
    throw new DigitsError('UNSUPPORTED_FORMAT', `is a tfjs model.json, not a Keras architecture: drop it without ${keras.name}, with its .bin files.`, {
      file: config.name,
    });
  }
  try {
    const model = await importKeras(new Uint8Array(await keras.arrayBuffer()), { fileName: keras.name, ...(configJson !== undefined ? { configJson } : {}) });
    return { model, label: config ? `${keras.name} + ${config.name}` : keras.name };
  } catch (error) {
    if (isDigitsError(error, 'KERAS_CONFIG_MISSING') && !config && /save_weights/.test(error.message)) {
      throw new DigitsError(
        'KERAS_CONFIG_MISSING',
        'holds only weights (Keras save_weights): choose or drop it together with its architecture, the .json file model.to_json() wrote.',
        { file: keras.name, cause: error },
      );
    }
    throw error;
  }
}
