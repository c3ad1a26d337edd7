import type * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '@digits/model';
import { loadModel, type ModelCard } from '@digits/model-io/node';

/** Selects the backend, then loads the model onto it. */
export async function openModel(
  dir: string,
  backendName: string,
): Promise<{ model: tf.LayersModel; card: ModelCard | undefined; backend: BackendChoice }> {
  const backend = await selectBackend(backendName);
  const { model, card } = await loadModel(dir);
  return { model, card, backend };
}
