import type * as tf from '@tensorflow/tfjs';
import { DigitsError, isDigitsError } from '@digits/mnist-data';
import { selectBackend, type BackendChoice } from '@digits/model';
import { loadModel, type ModelCard } from '@digits/model-io/node';

/**
 * Loads a model, selecting the backend once its files are read and checked and before it is
 * built: a wrong path or a damaged file is reported before any backend starts (starting one may
 * print native diagnostics, e.g. Dawn's while probing for a GPU), and the weights live on it.
 */
export async function openModel(
  dir: string,
  backendName: string,
): Promise<{ model: tf.LayersModel; card: ModelCard | undefined; backend: BackendChoice }> {
  let backend: BackendChoice | undefined;
  const { model, card } = await loadModel(dir, { beforeBuild: async () => void (backend = await selectBackend(backendName)) });
  return { model, card, backend: backend! };
}

/**
 * Runs `use` on the opened model; a library error about the model that names no file (its shape
 * does not fit the data, it computed NaN) is reported with the model's directory as its file.
 */
export async function namingModel<T>(dir: string, use: () => T | Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    if (isDigitsError(error) && error.file === undefined && /^(MODEL_|PREDICTION_)/.test(error.code)) {
      throw new DigitsError(error.code, error.reason, { file: dir, cause: error });
    }
    throw error;
  }
}
