import * as tf from '@tensorflow/tfjs';
import { assertBytes, assertString, describeValue, DigitsError, isDigitsError } from '@digits/mnist-data';
import { assertFiniteValues } from './finite';
import { withH5Bytes } from './h5';
import { normalizeKerasConfig } from './keras-config';
import { assertConfigBounds } from './config-bounds';
import { readKeras3Weights, readLegacyH5, storedParameters, type KerasLayerWeights } from './keras-weights';
import { MODEL_LIMITS } from './limits';
import { assertLayersSupported, modelFromTopology, weightedLayers } from './layers';
import { detectContainer } from './magic';
import { sameShape } from './build';
import { readZipMembers } from './zip';

/** The members of a .keras zip that are read; anything else in it is never inflated. */
const KERAS_MEMBERS = { 'config.json': MODEL_LIMITS.maxJsonBytes, 'model.weights.h5': MODEL_LIMITS.maxKerasFileBytes };

export interface ImportKerasOptions {
  /** file name or path, used in error messages */
  fileName?: string;
  /** the architecture (model.to_json()) for weights-only files written by save_weights, or to override the stored one */
  configJson?: string | object;
}

/**
 * Imports a Keras model: a full-model .h5 (Keras 1.x, 2.x, tf.keras, Keras 3 legacy h5), a
 * save_weights .h5 plus `configJson`, or a .keras zip (Keras 2.13+ / 3). Returns an uncompiled
 * tfjs LayersModel with the stored weights, bit for bit.
 */
export async function importKeras(bytes: Uint8Array, options: ImportKerasOptions = {}): Promise<tf.LayersModel> {
  assertBytes(bytes, 'importKeras: bytes', 'to import a file by its path use readKerasFile from @digits/model-io/node');
  if (options == null || typeof options !== 'object') throw new DigitsError('BAD_ARGUMENT', `importKeras: options must be an object, got ${describeValue(options)}`);
  if (options.fileName !== undefined) assertString(options.fileName, 'importKeras: options.fileName');
  const { configJson } = options;
  if (configJson !== undefined && typeof configJson !== 'string' && (configJson === null || typeof configJson !== 'object')) {
    throw new DigitsError('BAD_ARGUMENT', `importKeras: options.configJson must be the model's to_json() text or its parsed object, got ${describeValue(configJson)}`);
  }
  const file = options.fileName ?? 'Keras model';
  return detectContainer(bytes, file) === 'zip' ? importZip(bytes, file, options) : importH5(bytes, file, options);
}

async function importH5(bytes: Uint8Array, file: string, options: ImportKerasOptions): Promise<tf.LayersModel> {
  const contents = await withH5Bytes(bytes, file, (h5) => readLegacyH5(h5, file, bytes.length));
  const config = options.configJson ?? contents.modelConfig;
  if (config === undefined) {
    const hint = contents.hasLayerNames ? ' (a save_weights file: pass the architecture as configJson)' : ' and no Keras weights (layer_names)';
    throw new DigitsError('KERAS_CONFIG_MISSING', `the HDF5 file has no model_config attribute${hint}`, { file });
  }
  if (!contents.hasLayerNames) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', 'the HDF5 file has no layer_names attribute listing Keras weights', { file });
  }
  const model = await buildFromKerasConfig(config, file, storedParameters(contents.layers));
  return withModel(model, () => {
    const layers = weightedLayers(model);
    if (contents.backend === 'theano' && layers.some((l) => /Conv/.test(l.getClassName()))) {
      throw new DigitsError('UNSUPPORTED_FORMAT', 'convolution kernels saved with the Theano backend are not supported', { file });
    }
    if (layers.length !== contents.layers.length) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `the model has ${layers.length} layers with weights but the file stores weights for ${contents.layers.length} (${contents.layers.map((l) => l.layerName).join(', ')})`, { file });
    }
    // Keras loads legacy h5 weights by position: the k-th stored layer goes to the k-th weighted layer.
    layers.forEach((layer, i) => assignWeights(layer, contents.layers[i]!, file));
  });
}

async function importZip(bytes: Uint8Array, file: string, options: ImportKerasOptions): Promise<tf.LayersModel> {
  const { members, names } = readZipMembers(bytes, KERAS_MEMBERS, file);
  const configBytes = members.get('config.json');
  if (options.configJson === undefined && configBytes === undefined) {
    throw new DigitsError('KERAS_CONFIG_MISSING', `the .keras zip has no config.json (members: ${names.join(', ') || 'none'})`, { file });
  }
  const weightsBytes = members.get('model.weights.h5');
  if (weightsBytes === undefined) throw new DigitsError('MODEL_WEIGHTS_INVALID', 'the .keras zip has no model.weights.h5', { file });
  const config = options.configJson ?? new TextDecoder().decode(configBytes);
  // the weights are read (their shapes checked) first, so the config is built only if it fits them
  const stored = await withH5Bytes(weightsBytes, `${file}:model.weights.h5`, (h5) => readKeras3Weights(h5, file, weightsBytes.length));
  const model = await buildFromKerasConfig(config, file, storedParameters(stored));
  return withModel(model, () => {
    const layers = weightedLayers(model);
    const matched = matchByName(layers, stored) ?? matchByCreationOrder(layers, stored);
    if (!matched) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `cannot match the stored weights (${stored.map((s) => s.layerName).join(', ')}) to the model's layers (${layers.map((l) => l.name).join(', ')})`, { file });
    }
    layers.forEach((layer, i) => assignWeights(layer, matched[i]!, file));
  });
}

function matchByName(layers: tf.layers.Layer[], stored: KerasLayerWeights[]): KerasLayerWeights[] | undefined {
  const byName = new Map(stored.map((s) => [s.layerName, s]));
  const matched = layers.map((l) => byName.get(l.name));
  return matched.every((m) => m !== undefined) && stored.length === layers.length ? (matched as KerasLayerWeights[]) : undefined;
}

/**
 * Names in a .keras weights file need not match its config (Keras 2.13 on Windows: dense, dense_2,
 * dense_4 for dense, dense_1, dense_2); within each name prefix the numeric suffixes still follow
 * creation order, which is the model's order.
 */
function matchByCreationOrder(layers: tf.layers.Layer[], stored: KerasLayerWeights[]): KerasLayerWeights[] | undefined {
  if (layers.length !== stored.length) return undefined;
  const split = (name: string) => {
    const m = /^(.*?)(?:_(\d+))?$/.exec(name)!;
    return { prefix: m[1]!, index: m[2] === undefined ? 0 : Number(m[2]) };
  };
  const queues = new Map<string, KerasLayerWeights[]>();
  for (const s of stored) {
    const { prefix } = split(s.layerName);
    queues.set(prefix, [...(queues.get(prefix) ?? []), s]);
  }
  for (const queue of queues.values()) queue.sort((a, b) => split(a.layerName).index - split(b.layerName).index);
  const matched: KerasLayerWeights[] = [];
  for (const layer of layers) {
    const next = queues.get(split(layer.name).prefix)?.shift();
    if (!next) return undefined;
    matched.push(next);
  }
  return matched;
}

function assignWeights(layer: tf.layers.Layer, stored: KerasLayerWeights, file: string): void {
  const targets = layer.weights;
  if (targets.length !== stored.weights.length) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `layer "${layer.name}" has ${targets.length} weights but the file stores ${stored.weights.length} for "${stored.layerName}"`, { file });
  }
  targets.forEach((target, i) => {
    const weight = stored.weights[i]!;
    if (!sameShape(target.shape, weight.shape)) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${stored.layerName}/${weight.name}" has shape [${weight.shape.join(', ')}] but layer "${layer.name}" expects [${target.shape.join(', ')}]`, { file });
    }
  });
  for (const weight of stored.weights) assertFiniteValues(weight.values, weight.path, file);
  const tensors = stored.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  try {
    layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Parses, normalizes and builds a model from a Keras config (string or object). The config is
 * checked against the limits, and against `storedParameters` when given, before tfjs builds it.
 */
export async function buildFromKerasConfig(config: string | object, file: string, storedParameters?: number): Promise<tf.LayersModel> {
  let parsed: unknown = config;
  if (typeof config === 'string') {
    try {
      parsed = JSON.parse(config);
    } catch (cause) {
      throw new DigitsError('MODEL_INVALID', `the Keras model config is not valid JSON: ${(cause as Error).message}`, { file, cause });
    }
  }
  let normalized: Record<string, unknown>;
  try {
    normalized = normalizeKerasConfig(parsed, file);
    assertLayersSupported(normalized, file);
    assertConfigBounds(normalized, storedParameters, file);
  } catch (cause) {
    if (isDigitsError(cause)) throw cause;
    // a config is untrusted JSON: a value of the wrong type anywhere (a null layer, a string for a list) is a bad file
    throw new DigitsError('MODEL_INVALID', `the Keras model config is malformed: ${(cause as Error).message}`, { file, cause });
  }
  try {
    return await modelFromTopology(normalized);
  } catch (cause) {
    throw new DigitsError('MODEL_INVALID', `the Keras model config could not be built: ${(cause as Error).message}`, { file, cause });
  }
}

function withModel(model: tf.LayersModel, fill: () => void): tf.LayersModel {
  try {
    fill();
    return model;
  } catch (error) {
    model.dispose();
    if (isDigitsError(error)) throw error;
    throw new DigitsError('MODEL_WEIGHTS_INVALID', (error as Error).message, { cause: error });
  }
}
