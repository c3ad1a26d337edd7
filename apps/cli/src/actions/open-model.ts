import type * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '@digits/model';
import { fileSystemHandler, loadWithHandler, type ModelCard } from '@digits/model-io/node';

/**
 * Reads and checks the model files, then selects the backend, then builds the model on it. The
 * files come first so that a wrong path or a damaged file is reported before any backend starts
 * (starting one may print native diagnostics, e.g. Dawn's while probing for a GPU).
 */
export async function openModel(
  dir: string,
  backendName: string,
): Promise<{ model: tf.LayersModel; card: ModelCard | undefined; backend: BackendChoice }> {
  const artifacts = await fileSystemHandler(dir).load!();
  const backend = await selectBackend(backendName);
  const { model, card } = await loadWithHandler({ load: async () => artifacts }, dir);
  return { model, card, backend };
}
