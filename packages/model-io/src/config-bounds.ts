import { DigitsError } from '@digits/mnist-data';
import { layerConfigs } from './layers';
import { MODEL_LIMITS } from './limits';

type Json = Record<string, unknown>;
/** A tensor shape with its batch dimension first; null is an unknown size. */
type Shape = (number | null)[];

const CONTAINERS = new Set(['Sequential', 'Model', 'Functional']);
/** Config fields that are sizes: each must stay under MODEL_LIMITS.maxLayerDim. */
const SIZE_FIELDS = ['units', 'filters', 'output_dim', 'input_dim', 'depth_multiplier', 'n'];
const SIZE_LIST_FIELDS = ['batch_input_shape', 'kernel_size', 'target_shape', 'pool_size', 'strides', 'size', 'dilation_rate'];
/** Layers that neither own weights nor change the shape. */
const SHAPE_KEEPING = new Set([
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'Masking', 'ActivityRegularization', 'Rescaling',
]);

/** Parameters a config may describe beyond twice what its file stores before it is refused unbuilt. */
const BUILD_SLACK = 1024 * 1024;

const isObject = (v: unknown): v is Json => v != null && typeof v === 'object' && !Array.isArray(v);
const size = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const product = (values: readonly (number | null | undefined)[]) =>
  values.reduce<number | undefined>((a, b) => (a === undefined || b == null ? undefined : a * b), 1);

/**
 * Checks a model config before tfjs builds it (building allocates every weight): each size
 * field must be under MODEL_LIMITS.maxLayerDim and the parameters the config implies under
 * MODEL_LIMITS.maxParameters (SHAPE_LIMIT), and not far more than the file stores
 * (`storedParameters`: over twice that plus 1 Mi is MODEL_WEIGHTS_INVALID; smaller differences
 * are reported, naming the weight, by the shape check after building). The count follows the shapes through Sequential
 * and functional models for the layers that own weights (Dense, convolutions, normalization,
 * embeddings, recurrent layers); layers it does not know count as none, so it never
 * over-estimates.
 */
export function assertConfigBounds(topology: Json, storedParameters: number | undefined, file: string): void {
  const parameters = estimateParameters(topology, file);
  if (parameters > MODEL_LIMITS.maxParameters) {
    throw new DigitsError('SHAPE_LIMIT', `the model config describes ${parameters.toLocaleString('en-US')} parameters, more than the limit of ${MODEL_LIMITS.maxParameters.toLocaleString('en-US')}`, { file });
  }
  // A small difference is left to the check after building, which names the weight that differs;
  // building is refused only where it would cost far more than the file holds.
  if (storedParameters !== undefined && parameters > 2 * storedParameters + BUILD_SLACK) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `the model config describes ${parameters.toLocaleString('en-US')} parameters but the file stores ${storedParameters.toLocaleString('en-US')}`, { file });
  }
}

/** The parameters a model config implies (a lower bound when some layer shapes are unknown); SHAPE_LIMIT for an oversized field. */
export function estimateParameters(topology: Json, file: string): number {
  return walkModel(topology, undefined, file).parameters;
}

interface Step {
  parameters: number;
  output: Shape | undefined;
}

function walkModel(model: Json, input: Shape | undefined, file: string): Step {
  const layers = layerConfigs(model).filter(isObject);
  const config = model['config'];
  const functional = model['class_name'] !== 'Sequential' && isObject(config);
  if (!functional) {
    let shape = input;
    let parameters = 0;
    for (const layer of layers) {
      const step = walkLayer(layer, shape ? [shape] : [], file);
      parameters += step.parameters;
      shape = step.output;
    }
    return { parameters, output: shape };
  }
  // functional: layers come in topological order; each node's inputs name earlier layers' nodes
  const outputs = new Map<string, (Shape | undefined)[]>();
  let parameters = 0;
  layers.forEach((layer, index) => {
    const name = String(layer['name'] ?? (layer['config'] as Json | undefined)?.['name'] ?? index);
    const nodes = Array.isArray(layer['inbound_nodes']) ? (layer['inbound_nodes'] as unknown[]) : [];
    const shapes: (Shape | undefined)[] = [];
    if (nodes.length === 0) {
      const step = walkLayer(layer, index === 0 && input ? [input] : [], file);
      parameters += step.parameters;
      shapes.push(step.output);
    }
    nodes.forEach((node, nodeIndex) => {
      const inputs = (Array.isArray(node) ? node : []).map((ref) => {
        if (!Array.isArray(ref)) return undefined;
        return outputs.get(String(ref[0]))?.[size(ref[1]) ?? 0];
      });
      const step = walkLayer(layer, inputs.every((s) => s !== undefined) ? (inputs as Shape[]) : [], file);
      if (nodeIndex === 0) parameters += step.parameters; // a shared layer's weights are built once
      shapes.push(step.output);
    });
    outputs.set(name, shapes);
  });
  const outputLayers = (config as Json)['output_layers'];
  const first = Array.isArray(outputLayers) && Array.isArray(outputLayers[0]) ? (outputLayers[0] as unknown[]) : undefined;
  return { parameters, output: first ? outputs.get(String(first[0]))?.[size(first[1]) ?? 0] : undefined };
}

function walkLayer(layer: Json, inputs: Shape[], file: string): Step {
  const className = String(layer['class_name']);
  const config = isObject(layer['config']) ? layer['config'] : {};
  checkSizes(className, config, file);
  const declared = Array.isArray(config['batch_input_shape']) ? (config['batch_input_shape'] as unknown[]).map((d) => size(d) ?? null) : undefined;
  const input = inputs[0] ?? declared;
  if (CONTAINERS.has(className)) return walkModel(layer, input, file);
  if (className === 'InputLayer') return { parameters: 0, output: declared };
  if (input === undefined) return { parameters: 0, output: undefined };
  return layerStep(className, config, input, inputs);
}

function checkSizes(className: string, config: Json, file: string): void {
  const refuse = (field: string, value: number) => {
    const name = config['name'] === undefined ? '' : ` "${String(config['name'])}"`;
    throw new DigitsError('SHAPE_LIMIT', `layer${name} (${className}) declares ${field} ${value}, more than the limit of ${MODEL_LIMITS.maxLayerDim}`, { file });
  };
  for (const field of SIZE_FIELDS) {
    const value = config[field];
    if (typeof value === 'number' && value > MODEL_LIMITS.maxLayerDim) refuse(field, value);
  }
  for (const field of SIZE_LIST_FIELDS) {
    const value = config[field];
    const list = Array.isArray(value) ? value : [value];
    for (const d of list) if (typeof d === 'number' && d > MODEL_LIMITS.maxLayerDim) refuse(field, d);
  }
}

function layerStep(className: string, config: Json, input: Shape, inputs: Shape[]): Step {
  const channelsFirst = config['data_format'] === 'channels_first';
  const channelAxis = channelsFirst ? 1 : input.length - 1;
  const channels = input[channelAxis] ?? undefined;
  const bias = (n: number | undefined) => (config['use_bias'] === false || n === undefined ? 0 : n);
  const none = (output: Shape | undefined): Step => ({ parameters: 0, output });
  const withParams = (parameters: number | undefined, output: Shape | undefined): Step => ({ parameters: parameters ?? 0, output });

  if (SHAPE_KEEPING.has(className)) return none(input);
  const convMatch = /^(Conv|SeparableConv|DepthwiseConv|MaxPooling|AveragePooling)(\d)D(Transpose)?$/.exec(className);
  switch (className) {
    case 'Dense': {
      const units = size(config['units']);
      const inDim = input.at(-1) ?? undefined;
      return withParams(units !== undefined && inDim !== undefined ? inDim * units + bias(units) : undefined, [...input.slice(0, -1), units ?? null]);
    }
    case 'Flatten':
      return none([input[0] ?? null, product(input.slice(1)) ?? null]);
    case 'Reshape': {
      const target = Array.isArray(config['target_shape']) ? (config['target_shape'] as unknown[]) : [];
      const total = product(input.slice(1));
      const known = product(target.map((d) => (d === -1 ? 1 : (size(d) ?? null))));
      return none([input[0] ?? null, ...target.map((d) => (d === -1 ? (total !== undefined && known ? total / known : null) : (size(d) ?? null)))]);
    }
    case 'BatchNormalization':
      return withParams(channels === undefined ? undefined : 4 * channels, input);
    case 'LayerNormalization':
      return withParams(channels === undefined ? undefined : 2 * channels, input);
    case 'PReLU':
      return withParams(product(input.slice(1)), input);
    case 'Embedding': {
      const inDim = size(config['input_dim']);
      const outDim = size(config['output_dim']);
      return withParams(inDim !== undefined && outDim !== undefined ? inDim * outDim : undefined, [...input, outDim ?? null]);
    }
    case 'SimpleRNN':
    case 'GRU':
    case 'LSTM': {
      const units = size(config['units']);
      const gates = className === 'LSTM' ? 4 : className === 'GRU' ? 3 : 1;
      const inDim = input.at(-1) ?? undefined;
      const params = units !== undefined && inDim !== undefined ? gates * (inDim * units + units * units + 2 * units) : undefined;
      return withParams(params, config['return_sequences'] === true ? [input[0] ?? null, input[1] ?? null, units ?? null] : [input[0] ?? null, units ?? null]);
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling3D':
    case 'GlobalMaxPooling3D':
      return none(config['keepdims'] === true ? undefined : [input[0] ?? null, channels ?? null]);
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum':
      return none(input);
    case 'Concatenate': {
      const axis = typeof config['axis'] === 'number' ? (config['axis'] as number) : -1;
      const at = axis < 0 ? input.length + axis : axis;
      const sum = inputs.reduce<number | null>((a, s) => (a === null || s[at] == null ? null : a + s[at]!), 0);
      return none(input.map((d, i) => (i === at ? sum : d)));
    }
  }
  if (convMatch) return convStep(convMatch[1]!, Number(convMatch[2]), convMatch[3] !== undefined, config, input, channelsFirst);
  return none(undefined); // a layer this check does not know: its weights count as none, its output as unknown
}

function convStep(kind: string, rank: number, transpose: boolean, config: Json, input: Shape, channelsFirst: boolean): Step {
  const pooling = kind === 'MaxPooling' || kind === 'AveragePooling';
  const list = (value: unknown, fallback: number) => {
    const values = Array.isArray(value) ? value : [value ?? fallback];
    return Array.from({ length: rank }, (_, i) => size(values[i] ?? values[0]) ?? fallback);
  };
  const kernel = list(pooling ? config['pool_size'] : config['kernel_size'], pooling ? 2 : 1);
  const strides = list(config['strides'], pooling ? (kernel[0] ?? 1) : 1);
  const dilation = list(config['dilation_rate'], 1);
  const same = config['padding'] === 'same' || config['padding'] === 'causal';
  const spatialStart = channelsFirst ? 2 : 1;
  const inChannels = (channelsFirst ? input[1] : input.at(-1)) ?? undefined;
  const spatial = Array.from({ length: rank }, (_, i) => {
    const d = input[spatialStart + i];
    const k = kernel[i]!;
    const s = strides[i]! || 1;
    if (d == null) return null;
    if (transpose) return same ? d * s : d * s + Math.max(k - s, 0);
    return same ? Math.ceil(d / s) : Math.max(0, Math.floor((d - (k - 1) * dilation[i]! - 1) / s) + 1);
  });
  const filters = size(config['filters']);
  const multiplier = size(config['depth_multiplier']) ?? 1;
  const outChannels = pooling ? inChannels : kind === 'DepthwiseConv' ? (inChannels === undefined ? undefined : inChannels * multiplier) : filters;
  const window = product(kernel) ?? 0;
  let parameters: number | undefined;
  if (!pooling && inChannels !== undefined) {
    const useBias = config['use_bias'] !== false;
    if (kind === 'Conv' && filters !== undefined) parameters = window * inChannels * filters + (useBias ? filters : 0);
    if (kind === 'DepthwiseConv') parameters = window * inChannels * multiplier + (useBias ? inChannels * multiplier : 0);
    if (kind === 'SeparableConv' && filters !== undefined) parameters = window * inChannels * multiplier + inChannels * multiplier * filters + (useBias ? filters : 0);
  }
  const output: Shape = channelsFirst ? [input[0] ?? null, outChannels ?? null, ...spatial] : [input[0] ?? null, ...spatial, outChannels ?? null];
  return { parameters: parameters ?? 0, output };
}
