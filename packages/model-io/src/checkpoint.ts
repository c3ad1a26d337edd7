import type * as tf from '@tensorflow/tfjs';
import { DigitsError, type Dataset } from '@digits/mnist-data';
import type { ModelCard, ModelCardInput } from './card';
import { loadModel, saveModel, type LoadedModel, type LoadOptions, type SaveOptions } from './save-load';

/** Which data a checkpoint was trained on: enough to load it again and to tell when it changed. */
export interface DatasetIdentity {
  name: string;
  /** how to load it again: a dataset name ('mnist', 'fashion-mnist') or an absolute directory path */
  source: string;
  /** SHA-256 of the dataset files as @digits/mnist-data reports them (`Dataset.checksums`), when it does */
  checksums?: Record<string, string>;
  /** SHA-256 over the decoded splits (shapes, images, labels); known for every dataset, also a directory's */
  contentSha256: string;
  trainCount: number;
  testCount: number;
}

/** What training needs besides the weights to carry on exactly: its settings, the epochs so far, the data. */
export interface CheckpointState<Settings extends object = Record<string, unknown>, Log extends object = Record<string, unknown>> {
  /** the run's settings as the caller defines them (epochs, batch size, seed, ...), stored as JSON */
  settings: Settings;
  /** one entry per completed epoch (e.g. @digits/model's EpochLog); empty for the starting point */
  history: Log[];
  dataset: DatasetIdentity;
}

export interface LoadedCheckpoint<Settings extends object = Record<string, unknown>, Log extends object = Record<string, unknown>>
  extends CheckpointState<Settings, Log> {
  /** compiled, with the optimizer state (Adam's step count and moments) restored */
  model: tf.LayersModel;
  card: ModelCard;
}

export const CHECKPOINT_FORMAT = 'digits-checkpoint/1';

/** The card of a checkpoint holds, besides the usual fields, `checkpoint: { format, settings }`. */
interface CheckpointCardField {
  format: typeof CHECKPOINT_FORMAT;
  settings: Record<string, unknown>;
}

/**
 * The identity of a dataset: its name, where it was loaded from (`source`: give the absolute
 * directory path for a directory, so a resume from another working directory finds it), the file
 * checksums when known and a SHA-256 of its contents. Uses Web Crypto (browsers: secure contexts).
 */
export async function datasetIdentity(dataset: Dataset, source: string = dataset.name): Promise<DatasetIdentity> {
  return {
    name: dataset.name,
    source,
    ...(dataset.checksums ? { checksums: { ...dataset.checksums } } : {}),
    contentSha256: await contentSha256(dataset),
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
  };
}

/** The save options of a checkpoint: optimizer state included, settings, history and dataset in the card. */
export function checkpointSaveOptions<S extends object, L extends object>(model: tf.LayersModel, state: CheckpointState<S, L>, card: ModelCardInput = {}): SaveOptions {
  const optimizer = model.optimizer ? { className: model.optimizer.getClassName(), ...model.optimizer.getConfig() } : undefined;
  const checkpoint: CheckpointCardField = { format: CHECKPOINT_FORMAT, settings: { ...state.settings } as Record<string, unknown> };
  return {
    includeOptimizer: true,
    card: {
      ...card,
      training: { ...state.settings, completedEpochs: state.history.length, optimizer },
      history: state.history,
      dataset: state.dataset,
      checkpoint,
    },
  };
}

/**
 * Saves a training checkpoint: the model with its optimizer state (so training resumes exactly),
 * and in the model card the run's settings, history and dataset identity. `target` is anything
 * saveModel accepts (an IOHandler, indexeddb://...; on Node also a directory: see the node entry).
 * `card` adds fields to the model card (name, test accuracy, ...).
 */
export async function saveCheckpoint<S extends object, L extends object>(
  model: tf.LayersModel,
  target: string | tf.io.IOHandler,
  state: CheckpointState<S, L>,
  options: { card?: ModelCardInput } = {},
): Promise<tf.io.SaveResult> {
  if (model.optimizer == null) throw new DigitsError('BAD_ARGUMENT', 'a checkpoint needs a compiled model (it has no optimizer)');
  return saveModel(model, target, checkpointSaveOptions(model, state, options.card));
}

/** Loads what saveCheckpoint saved; MODEL_INVALID when the model has no checkpoint state. */
export async function loadCheckpoint<S extends object = Record<string, unknown>, L extends object = Record<string, unknown>>(
  source: string | tf.io.IOHandler,
  options: LoadOptions = {},
): Promise<LoadedCheckpoint<S, L>> {
  return checkpointFromLoaded<S, L>(await loadModel(source, options), typeof source === 'string' ? source : 'IOHandler');
}

/** The checkpoint state of a loaded model (disposes the model and throws MODEL_INVALID when there is none). */
export function checkpointFromLoaded<S extends object, L extends object>(loaded: LoadedModel, label: string): LoadedCheckpoint<S, L> {
  const { model, card } = loaded;
  const field = card?.['checkpoint'] as Partial<CheckpointCardField> | undefined;
  const dataset = card?.dataset as Partial<DatasetIdentity> | undefined;
  const problem =
    field?.format !== CHECKPOINT_FORMAT || field.settings == null || typeof field.settings !== 'object'
      ? 'no checkpoint state in its model card (was it saved with saveCheckpoint / `digits train`?)'
      : !Array.isArray(card?.history)
        ? 'its checkpoint has no history'
        : typeof dataset?.source !== 'string' || typeof dataset.contentSha256 !== 'string'
          ? 'its checkpoint does not say which dataset it was trained on'
          : model.optimizer == null
            ? 'it has no optimizer state'
            : undefined;
  if (problem) {
    // model.dispose() leaves the optimizer's variables (its moments) alive
    model.optimizer?.dispose();
    model.dispose();
    throw new DigitsError('MODEL_INVALID', `not a training checkpoint: ${problem}`, { file: label });
  }
  return { model, card: card!, settings: field!.settings as S, history: card!.history as L[], dataset: dataset as DatasetIdentity };
}

/**
 * Refuses (DATASET_CHANGED) to resume on other data than the checkpoint was trained on: the
 * contents' SHA-256 (and the file checksums, when both sides have them) must match.
 */
export async function checkCheckpointDataset(saved: DatasetIdentity, dataset: Dataset): Promise<void> {
  const changed = (what: string) =>
    new DigitsError('DATASET_CHANGED', `is not the dataset this checkpoint was trained on (${what}); resume with the same data or start a new run`, { file: saved.source });
  if (saved.checksums && dataset.checksums) {
    for (const [file, sum] of Object.entries(saved.checksums)) {
      const now = dataset.checksums[file];
      if (now !== undefined && now !== sum) throw changed(`${file}: SHA-256 ${now.slice(0, 12)}... now, ${sum.slice(0, 12)}... then`);
    }
  }
  if (dataset.train.count !== saved.trainCount || dataset.test.count !== saved.testCount) {
    throw changed(`${dataset.train.count} training / ${dataset.test.count} test images now, ${saved.trainCount} / ${saved.testCount} then`);
  }
  const now = await contentSha256(dataset);
  if (now !== saved.contentSha256) throw changed(`content SHA-256 ${now.slice(0, 12)}... now, ${saved.contentSha256.slice(0, 12)}... then`);
}

async function contentSha256(dataset: Dataset): Promise<string> {
  const { train, test } = dataset;
  const shapes = new TextEncoder().encode(JSON.stringify([train.count, train.rows, train.cols, test.count, test.rows, test.cols]));
  const parts: Uint8Array[] = [shapes, train.images, train.labels, test.images, test.labels];
  const digests = await Promise.all(parts.map((part) => crypto.subtle.digest('SHA-256', part as Uint8Array<ArrayBuffer>)));
  const joined = new Uint8Array(digests.length * 32);
  digests.forEach((digest, i) => joined.set(new Uint8Array(digest), i * 32));
  const final = new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
  return Array.from(final, (b) => b.toString(16).padStart(2, '0')).join('');
}
