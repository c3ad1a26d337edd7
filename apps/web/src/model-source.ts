import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { assertModelFits, MNIST_SHAPE } from '@digits/model';
import { loadModel, type ModelCard } from '@digits/model-io';

export interface ActiveModel {
  model: tf.LayersModel;
  card?: ModelCard | undefined;
  /** What the header shows: where the model came from. */
  label: string;
  /** Which of BUILT_IN_MODELS this is, if one. */
  builtIn?: BuiltInModel['id'];
}

/** The models the site ships (scripts/build-model.ts builds both). */
export const BUILT_IN_MODELS = [
  { id: 'default', url: './models/default/model.json', label: 'default model (CNN, reads drawings best)' },
  { id: 'mlp', url: './models/mlp/model.json', label: 'tutorial MLP' },
] as const;
export type BuiltInModel = (typeof BUILT_IN_MODELS)[number];

export const DEFAULT_MODEL_URL = BUILT_IN_MODELS[0].url;

export async function modelFromUrl(url: string, label = url): Promise<ActiveModel> {
  const href = new URL(url, document.baseURI).href;
  const { model, card } = await loadModel(href);
  return fitting({ model, card, label });
}

/**
 * A model that cannot read 28x28 digits into 10 classes is refused when it is loaded (with the
 * reason), not at the first drawing, where its outputs would look like an answer.
 */
function fitting(active: ActiveModel): ActiveModel {
  try {
    assertModelFits(active.model, MNIST_SHAPE, '28x28 digits');
    return active;
  } catch (error) {
    active.model.dispose();
    throw error;
  }
}

export async function builtInModel(id: BuiltInModel['id']): Promise<ActiveModel> {
  const entry = BUILT_IN_MODELS.find((m) => m.id === id)!;
  return { ...(await modelFromUrl(entry.url, entry.label)), builtIn: entry.id };
}

const KERAS_FILE = /\.(h5|hdf5|keras)$/i;

/**
 * Files picked or dropped as a model: a Keras file (.h5 / .keras, a weights-only .h5 with its
 * config .json), or a tfjs model directory's files (model.json + weight shards).
 */
export async function modelFromFiles(files: File[]): Promise<ActiveModel> {
  const keras = files.find((f) => KERAS_FILE.test(f.name));
  if (keras) {
    const { kerasModelFromFiles } = await import('./keras-source');
    return fitting(await kerasModelFromFiles(keras, files.filter((f) => f !== keras)));
  }
  if (files.some((f) => f.name.endsWith('.json'))) {
    const { model, card } = await loadModel(files);
    return fitting({ model, card, label: files.map((f) => f.name).join(', ') });
  }
  throw new DigitsError(
    'UNSUPPORTED_FORMAT',
    'is not a model: expected a Keras .h5 / .keras file, or a tfjs model.json with its .bin weight files.',
    { file: files.map((f) => f.name).join(', ') },
  );
}
