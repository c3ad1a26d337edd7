import * as tf from '@tensorflow/tfjs';
import { assertLayersModel, describeValue, DigitsError, isDigitsError } from '@digits/mnist-data';
import { validateArtifacts } from './artifacts';
import { buildModel } from './build';
import { assertFiniteWeightData } from './finite';
import { cardFromMetadata, createModelCard, MODEL_CARD_KEY, type ModelCard, type ModelCardInput } from './card';
import { quantizeArtifacts, type QuantizeDtype } from './quantize';

export interface SaveOptions {
  /** model card fields; architecture, parameters, versions and createdAt are filled in when absent */
  card?: ModelCardInput;
  /** store weights as float16 or uint8 (loaded back as float32) */
  quantize?: QuantizeDtype;
  /** also save the optimizer state (e.g. Adam moments) so training can resume */
  includeOptimizer?: boolean;
}

export interface LoadOptions {
  /**
   * Runs after the files are read and validated and before the model is built, e.g. to select the
   * tfjs backend the weights should live on only once the files are known to be good.
   */
  beforeBuild?(): void | Promise<void>;
}

export interface LoadedModel {
  model: tf.LayersModel;
  card?: ModelCard;
}

/** Saves a model through any tfjs IOHandler, with a model card and optional quantization. */
export async function saveWithHandler(model: tf.LayersModel, handler: tf.io.IOHandler, label: string, options: SaveOptions = {}): Promise<tf.io.SaveResult> {
  if (handler.save == null) throw new DigitsError('BAD_ARGUMENT', 'this IOHandler cannot save', { file: label });
  const artifacts = await modelArtifacts(model, options);
  try {
    return await handler.save(artifacts);
  } catch (cause) {
    if (isDigitsError(cause)) throw cause;
    throw new DigitsError('WRITE_FAILED', `saving the model failed: ${(cause as Error).message}`, { file: label, cause });
  }
}

/** The artifacts saveModel writes: tfjs' own, plus the card, optionally quantized. */
export async function modelArtifacts(model: tf.LayersModel, options: SaveOptions = {}): Promise<tf.io.ModelArtifacts> {
  if (options.includeOptimizer && model.optimizer == null) {
    throw new DigitsError('BAD_ARGUMENT', 'includeOptimizer needs a compiled model (it has no optimizer)');
  }
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
    { includeOptimizer: options.includeOptimizer ?? false },
  );
  let artifacts = captured!;
  // quantization always describes this file, also when a card loaded from a quantized model is re-saved
  const { quantization: _previous, ...cardInput } = options.card ?? {};
  const card = createModelCard(model, { ...cardInput, ...(options.quantize ? { quantization: options.quantize } : {}) });
  artifacts = { ...artifacts, userDefinedMetadata: { ...artifacts.userDefinedMetadata, [MODEL_CARD_KEY]: card } };
  if (options.quantize) artifacts = quantizeArtifacts(artifacts, options.quantize);
  return artifacts;
}

/** Loads artifacts from any tfjs IOHandler, validates them, then builds the model. */
export async function loadWithHandler(handler: tf.io.IOHandler, label: string, options: LoadOptions = {}): Promise<LoadedModel> {
  if (handler.load == null) throw new DigitsError('BAD_ARGUMENT', 'this IOHandler cannot load', { file: label });
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch (cause) {
    if (isDigitsError(cause)) throw cause;
    // tfjs's http handler names the URL in its message ("Request to <url> failed with status code
    // 404..."); the error names it already, once
    const reason = String((cause as Error).message).split(label).join('the URL');
    throw new DigitsError('MODEL_NOT_FOUND', `the model could not be read: ${reason}`, { file: label, cause });
  }
  validateArtifacts(artifacts, label);
  assertFiniteWeightData(artifacts, label);
  await options.beforeBuild?.();
  const model = await buildModel(artifacts, label);
  const card = cardFromMetadata(artifacts.userDefinedMetadata);
  return card ? { model, card } : { model };
}

/**
 * Saves to a tfjs URL (indexeddb://, localstorage://, downloads://, http(s):// as a POST) or an
 * IOHandler. Directories on disk: use saveModel from '@digits/model-io/node'.
 */
export async function saveModel(model: tf.LayersModel, target: string | tf.io.IOHandler, options: SaveOptions = {}): Promise<tf.io.SaveResult> {
  assertSaveArguments(model, target);
  if (typeof target !== 'string') return saveWithHandler(model, target, 'IOHandler', options);
  const [handler] = tf.io.getSaveHandlers(target);
  if (!handler) {
    throw new DigitsError('BAD_ARGUMENT', 'no save handler for this URL (use indexeddb://, localstorage://, downloads://, http(s)://; for a directory on Node import saveModel from @digits/model-io/node)', { file: target });
  }
  return saveWithHandler(model, handler, target, options);
}

/** Loads from a model.json URL, indexeddb://..., the files picked in a browser (model.json first), or an IOHandler. */
export async function loadModel(source: string | tf.io.IOHandler | File[], options: LoadOptions = {}): Promise<LoadedModel> {
  assertLoadSource(source);
  if (Array.isArray(source)) {
    // tf.io.browserFiles wants model.json first; a file picker or a drop gives any order.
    const files = [...source].sort((a, b) => Number(b.name.endsWith('.json')) - Number(a.name.endsWith('.json')));
    return loadWithHandler(tf.io.browserFiles(files), files[0]?.name ?? 'files', options);
  }
  if (typeof source !== 'string') return loadWithHandler(source, 'IOHandler', options);
  // Called directly rather than looked up: tfjs registers its http router as a module side effect,
  // which bundlers (Vite 8) drop, so getLoadHandlers finds nothing in a bundled app.
  if (/^https?:\/\//i.test(source)) return loadWithHandler(tf.io.http(source), source, options);
  const [handler] = tf.io.getLoadHandlers(source);
  if (!handler) {
    throw new DigitsError('BAD_ARGUMENT', 'no load handler for this URL (use http(s)://.../model.json or indexeddb://; for a directory on Node import loadModel from @digits/model-io/node)', { file: source });
  }
  return loadWithHandler(handler, source, options);
}

/** An IOHandler that keeps the artifacts in memory: save into it, then load from it. */
export interface MemoryHandler extends tf.io.IOHandler {
  artifacts?: tf.io.ModelArtifacts;
}

export function memoryHandler(): MemoryHandler {
  const handler: MemoryHandler = {
    async save(artifacts) {
      handler.artifacts = structuredClone(artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      if (!handler.artifacts) throw new DigitsError('MODEL_NOT_FOUND', 'nothing has been saved to this memory handler yet', { file: 'memory' });
      return structuredClone(handler.artifacts);
    },
  };
  return handler;
}

/** saveModel's arguments: a LayersModel and a non-empty string or an IOHandler with `save`. */
export function assertSaveArguments(model: unknown, target: unknown): void {
  assertLayersModel(model, 'saveModel: model');
  const isHandler = target != null && typeof target === 'object' && typeof (target as tf.io.IOHandler).save === 'function';
  if (!(typeof target === 'string' && target !== '') && !isHandler) {
    throw new DigitsError('BAD_ARGUMENT', `saveModel: target must be a directory, a tfjs URL or an IOHandler with save(), got ${describeValue(target)}`);
  }
}

/** loadModel's source: a non-empty string, an IOHandler with `load`, or a list of Files. */
export function assertLoadSource(source: unknown): void {
  if (typeof source === 'string' && source !== '') return;
  if (Array.isArray(source) && source.length > 0) return;
  if (source != null && typeof source === 'object' && typeof (source as tf.io.IOHandler).load === 'function') return;
  throw new DigitsError('BAD_ARGUMENT', `loadModel: source must be a directory, a model.json URL, an IOHandler with load() or the model's Files, got ${Array.isArray(source) ? 'an empty list' : describeValue(source)}`);
}
