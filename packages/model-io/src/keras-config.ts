import { DigitsError } from '@digits/mnist-data';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v != null && typeof v === 'object' && !Array.isArray(v);
const CONTAINERS = new Set(['Sequential', 'Model', 'Functional']);

/**
 * Rewrites a Keras model config of any dialect (Keras 1, Keras 2 / tf.keras, Keras 3) into the
 * Keras 2 form that TensorFlow.js deserializes: Keras 3 wrappers (module, registered_name,
 * DTypePolicy, __tuple__, __keras_tensor__ nodes, batch_shape) and Keras 1 argument names
 * (output_dim, p, nb_filter, border_mode, ...) are translated.
 */
export function normalizeKerasConfig(config: unknown, file: string): Json {
  let model = unwrapKeras3(config);
  if (isObject(model) && isObject(model['model_config'])) model = model['model_config'];
  if (!isObject(model) || typeof model['class_name'] !== 'string' || model['config'] == null) {
    throw new DigitsError('MODEL_INVALID', 'the Keras config is not a serialized model ({"class_name": ..., "config": ...})', { file });
  }
  if (!CONTAINERS.has(model['class_name'])) {
    throw new DigitsError('UNSUPPORTED_FORMAT', `the Keras config describes a ${model['class_name']}, not a Sequential or functional model`, { file });
  }
  return normalizeModel(model);
}

function normalizeModel(model: Json): Json {
  const config = model['config'];
  const isList = Array.isArray(config);
  const layers = (isList ? config : (config as Json)['layers']) as unknown[] | undefined;
  const normalized = (layers ?? []).map((layer) => normalizeLayer(layer as Json));
  if (model['class_name'] === 'Sequential') {
    foldInputLayer(normalized);
    // Only the first layer's input shape counts in a Sequential (Keras 1 wrote input_dim on every Dense).
    for (const layer of normalized.slice(1)) delete (layer['config'] as Json)['batch_input_shape'];
  }
  if (isList) return { class_name: model['class_name'], config: normalized };
  const out: Json = { ...(config as Json), layers: normalized };
  for (const key of ['input_layers', 'output_layers'] as const) {
    const value = out[key];
    // Keras 3 writes a single input/output as a flat [name, node, tensor] triple.
    if (Array.isArray(value) && typeof value[0] === 'string') out[key] = [value];
  }
  return { class_name: model['class_name'], config: out };
}

/**
 * A Sequential that starts with an explicit InputLayer (tf.keras 2.4+, Keras 3) becomes the classic
 * form, its shape on the first real layer, so `model.layers` lists the same layers as a model built
 * in tfjs (an InputLayer has no weights; nothing else changes).
 */
function foldInputLayer(layers: Json[]): void {
  const [first, second] = layers;
  if (first?.['class_name'] !== 'InputLayer' || !second) return;
  const input = first['config'] as Json;
  const next = second['config'] as Json;
  if (input['batch_input_shape'] == null || next['batch_input_shape'] != null || CONTAINERS.has(String(second['class_name']))) return;
  next['batch_input_shape'] = input['batch_input_shape'];
  if (typeof input['dtype'] === 'string') next['dtype'] = input['dtype'];
  layers.shift();
}

function normalizeLayer(layer: Json): Json {
  const className = String(layer['class_name']);
  if (CONTAINERS.has(className)) return { ...normalizeModel(layer), ...nodesOf(layer) };
  const config = { ...(layer['config'] as Json) };
  const renamed = KERAS1_CLASS_NAMES[className] ?? className;
  if (config['batch_shape'] !== undefined) {
    config['batch_input_shape'] ??= config['batch_shape'];
    delete config['batch_shape'];
  }
  for (const key of ['optional', 'ragged', 'build_config', 'synchronized', 'groups', 'lora_rank', 'quantization_config', 'input_dtype']) {
    if (key === 'groups' && config[key] !== 1) continue;
    delete config[key];
  }
  translateKeras1(renamed, config);
  fixInitializers(config);
  return { class_name: renamed, config, ...nodesOf(layer) };
}

function nodesOf(layer: Json): Json {
  const out: Json = {};
  if (layer['name'] !== undefined) out['name'] = layer['name'];
  if (Array.isArray(layer['inbound_nodes'])) out['inbound_nodes'] = layer['inbound_nodes'].map(legacyNode);
  return out;
}

/** Keras 3 node {args, kwargs} -> Keras 2 [[layer, nodeIndex, tensorIndex, kwargs], ...]. */
function legacyNode(node: unknown): unknown {
  if (Array.isArray(node)) return node;
  const inputs: unknown[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (isObject(value)) {
      const history = value['keras_history'] ?? (value['config'] as Json | undefined)?.['keras_history'];
      if (Array.isArray(history)) inputs.push([history[0], history[1], history[2], {}]);
      else Object.values(value).forEach(collect);
    }
  };
  collect((node as Json)['args']);
  return inputs;
}

/** Keras 3 objects carry module/registered_name/build_config; dtype policies and tuples become plain values. */
function unwrapKeras3(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapKeras3);
  if (!isObject(value)) return value;
  const className = value['class_name'];
  const config = value['config'] as Json | undefined;
  if (className === '__tuple__' && config) return unwrapKeras3(config['value']);
  if ((className === 'DTypePolicy' || className === 'Policy' || className === 'FloatDTypePolicy') && config) {
    const name = String(config['name']);
    return name.startsWith('mixed_') || name === 'float16' || name === 'bfloat16' ? 'float32' : name;
  }
  if (className === '__keras_tensor__') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'module' || key === 'registered_name' || key === 'build_config' || key === 'compile_config' || key === 'shared_object_id') continue;
    out[key] = unwrapKeras3(v);
  }
  return out;
}

const KERAS1_CLASS_NAMES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Deconvolution2D: 'Conv2DTranspose',
  AtrousConvolution2D: 'Conv2D',
  SeparableConvolution2D: 'SeparableConv2D',
};

const KERAS1_RENAMES: Record<string, string> = {
  output_dim: 'units',
  nb_filter: 'filters',
  subsample: 'strides',
  subsample_length: 'strides',
  border_mode: 'padding',
  dim_ordering: 'data_format',
  init: 'kernel_initializer',
  inner_init: 'recurrent_initializer',
  bias: 'use_bias',
  W_regularizer: 'kernel_regularizer',
  b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint',
  b_constraint: 'bias_constraint',
  atrous_rate: 'dilation_rate',
  filter_length: 'kernel_size',
  pool_length: 'pool_size',
  stride: 'strides',
};

function translateKeras1(className: string, config: Json): void {
  for (const [from, to] of Object.entries(KERAS1_RENAMES)) {
    if (!(from in config)) continue;
    if (!(to in config)) config[to] = config[from];
    delete config[from];
  }
  if (className === 'Dropout' && 'p' in config) {
    config['rate'] ??= config['p'];
    delete config['p'];
  }
  if ('nb_row' in config && 'nb_col' in config) {
    config['kernel_size'] ??= [config['nb_row'], config['nb_col']];
    delete config['nb_row'];
    delete config['nb_col'];
  }
  if (config['data_format'] === 'tf') config['data_format'] = 'channels_last';
  if (config['data_format'] === 'th') config['data_format'] = 'channels_first';
  if (config['data_format'] === 'default') delete config['data_format'];
  if ('input_dim' in config) {
    if (config['batch_input_shape'] == null && config['input_dim'] != null) config['batch_input_shape'] = [null, config['input_dim']];
    delete config['input_dim'];
  }
  if (className === 'BatchNormalization') delete config['mode'];
  for (const [key, value] of Object.entries(config)) {
    // Keras 1 names initializers by string and writes regularizers as {name, l1, l2}; neither matters
    // once the stored weights are loaded, so they fall back to tfjs defaults.
    if (key.endsWith('_initializer') && typeof value === 'string') delete config[key];
    if ((key.endsWith('_regularizer') || key.endsWith('_constraint')) && isObject(value) && !('class_name' in value)) delete config[key];
  }
}

/** Initializer settings tfjs does not know; the weights are overwritten on import anyway. */
function fixInitializers(config: Json): void {
  for (const [key, value] of Object.entries(config)) {
    if (!key.endsWith('_initializer') || !isObject(value)) continue;
    const inner = value['config'] as Json | undefined;
    if (inner?.['distribution'] === 'untruncated_normal') inner['distribution'] = 'normal';
  }
}
