import * as tf from '@tensorflow/tfjs';
import { PREPROCESSING_SPEC } from '@digits/mnist-data';
import { version as modelIoVersion } from '../package.json';

export interface LayerSummary {
  name: string;
  className: string;
  outputShape: unknown;
  parameters: number;
}

export interface ModelCardDataset {
  name: string;
  /** checkpoints: where to load it again (a dataset name or an absolute directory) */
  source?: string;
  checksums?: Record<string, string>;
  /** checkpoints: SHA-256 over the decoded splits (see datasetIdentity) */
  contentSha256?: string;
  trainCount?: number;
  testCount?: number;
}

/** What a saved model says about itself; stored in model.json's userDefinedMetadata. */
export interface ModelCard {
  format: 'digits-model-card/1';
  name?: string;
  architecture: { className: string; layers: LayerSummary[] };
  parameters: number;
  /** training options (epochs, batch size, seed, optimizer, ...) */
  training?: Record<string, unknown>;
  /** per-epoch logs as produced by @digits/model's train() */
  history?: object[];
  testAccuracy?: number;
  dataset?: ModelCardDataset;
  /** how an input image becomes the model's input (default: PREPROCESSING_SPEC of @digits/mnist-data) */
  preprocessing?: unknown;
  /** weights storage when quantized on save */
  quantization?: 'float16' | 'uint8';
  versions: Record<string, string>;
  createdAt: string;
  [extra: string]: unknown;
}

/** Anything with a name and optional checksums/splits, e.g. a @digits/mnist-data Dataset. */
export interface DatasetLike {
  name: string;
  source?: string;
  checksums?: Record<string, string>;
  contentSha256?: string;
  train?: { count: number };
  test?: { count: number };
  trainCount?: number;
  testCount?: number;
}

/** What callers pass to saveModel/createModelCard: any card field; computed ones are filled in. */
export interface ModelCardInput {
  name?: string;
  architecture?: ModelCard['architecture'];
  parameters?: number;
  training?: Record<string, unknown>;
  history?: object[];
  testAccuracy?: number;
  dataset?: DatasetLike;
  preprocessing?: unknown;
  quantization?: 'float16' | 'uint8';
  versions?: Record<string, string>;
  createdAt?: string;
  [extra: string]: unknown;
}

export const MODEL_CARD_KEY = 'digitsModelCard';

/** Fills architecture, parameter count, versions and creation time from the model; keeps what the caller gave. */
export function createModelCard(model: tf.LayersModel, input: ModelCardInput = {}): ModelCard {
  const { dataset, ...rest } = input;
  const card: ModelCard = {
    ...rest,
    format: 'digits-model-card/1',
    architecture: input.architecture ?? describeArchitecture(model),
    parameters: input.parameters ?? model.countParams(),
    preprocessing: input.preprocessing ?? PREPROCESSING_SPEC,
    versions: { ...packageVersions(), ...input.versions },
    createdAt: input.createdAt ?? new Date().toISOString(),
  };
  if (dataset) card.dataset = describeDataset(dataset);
  return card;
}

function describeArchitecture(model: tf.LayersModel): ModelCard['architecture'] {
  return {
    className: model.getClassName(),
    layers: model.layers.map((layer) => ({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: layer.outputShape,
      parameters: layer.countParams(),
    })),
  };
}

function describeDataset(dataset: DatasetLike): ModelCardDataset {
  const out: ModelCardDataset = { name: dataset.name };
  if (dataset.source !== undefined) out.source = dataset.source;
  if (dataset.checksums) out.checksums = { ...dataset.checksums };
  if (dataset.contentSha256 !== undefined) out.contentSha256 = dataset.contentSha256;
  const trainCount = dataset.train?.count ?? dataset.trainCount;
  const testCount = dataset.test?.count ?? dataset.testCount;
  if (trainCount !== undefined) out.trainCount = trainCount;
  if (testCount !== undefined) out.testCount = testCount;
  return out;
}

export function packageVersions(): Record<string, string> {
  return { '@digits/model-io': modelIoVersion, '@tensorflow/tfjs': tf.version.tfjs };
}

export function cardFromMetadata(metadata: unknown): ModelCard | undefined {
  const card = (metadata as Record<string, unknown> | undefined)?.[MODEL_CARD_KEY];
  return card != null && typeof card === 'object' ? (card as ModelCard) : undefined;
}
