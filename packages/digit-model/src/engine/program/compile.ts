import type * as tf from '@tensorflow/tfjs';
import { hasCategoricalCrossentropy } from '../../losses';
import { MAX_OPS } from '../layout';
import { roundUp4 } from '../memory-plan';
import { readOptimizer, type OptimizerSpec } from '../optimizers';

/** The op kinds of engine-src/program.h (OP_*). */
export const OP_KIND = { dense: 0, conv: 1, maxpool: 2, avgpool: 3, batchnorm: 4, dropout: 5, activation: 6, repack: 7 } as const;
export type OpKind = keyof typeof OP_KIND;

/** The activations of engine-src/program.h (ACT_*); softmax only on the last op. */
export const ACT_CODE = { relu: 0, linear: 1, sigmoid: 2, tanh: 3, softmax: 4 } as const;
export type ProgramActivation = keyof typeof ACT_CODE;

/**
 * A map as the engine stores it: channels-last, `c` real channels per pixel at a stride of `cs`
 * floats (cs > c where an op pads them to a multiple of 4; the padding stays 0). A flattened map
 * keeps its layout ({ h: 1, w: pixels }) and the next Dense reads around the padding.
 */
export interface MapShape {
  h: number;
  w: number;
  c: number;
  cs: number;
  /** Whether tfjs sees it as one flat vector (after Flatten, Dense, or a flat input). */
  flat: boolean;
}

/**
 * One of a layer's weights in the engine: `rows x cols` floats at `offset` (floats) of the
 * parameters (trainable) or of the statistics (batchnorm's moving mean and variance). tfjs' value,
 * flattened to realRows x realCols, has its row i at engine row floor(i / group) * groupStride + i % group.
 */
export interface ParamLayout {
  variable: tf.LayerVariable;
  trainable: boolean;
  offset: number;
  rows: number;
  cols: number;
  realRows: number;
  realCols: number;
  group: number;
  groupStride: number;
}

/** An op of a compiled program, with the shapes the C side reads (program.h's Op). */
export interface ProgramOp {
  kind: OpKind;
  act: ProgramActivation;
  /** The tfjs layer it came from (an activation fused into an op keeps the op's layer). */
  layer: tf.layers.Layer;
  input: MapShape;
  output: MapShape;
  /** Floats per sample of the input and output (multiples of 4). */
  inSize: number;
  outSize: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  /** Rows of the kernel (Dense, Conv2D). */
  K: number;
  dropRate: number;
  eps: number;
  momentum: number;
  /** Real elements per sample (repack). */
  count: number;
  /** Whether the op's input gradient is needed (some earlier op has parameters). */
  needDx: boolean;
  /** Dense/Conv2D: kernel, bias; batchnorm: gamma, beta, moving mean, moving variance. */
  params: ParamLayout[];
}

/** A model compiled for the engine: its ops and where each weight lives. */
export interface Program {
  /** Floats per sample of the input (a multiple of 4) and the real input size (pixels). */
  inputSize: number;
  pixels: number;
  ops: ProgramOp[];
  classes: number;
  /** Floats of trainable parameters and of batchnorm statistics. */
  paramFloats: number;
  statFloats: number;
  /** Whether a batchnorm layer needs the whole batch's statistics (training runs on one shard). */
  batchStatistics: boolean;
}

/** A program and the optimizer that trains it. */
export interface TrainingProgram extends Program {
  optimizer: OptimizerSpec;
}

type Config = Record<string, unknown>;

const sizeOf = (m: MapShape) => roundUp4(m.h * m.w * m.cs);
const pair = (v: unknown, name: string): [number, number] | string => {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((x) => Number.isInteger(x) && x > 0)) return `${name} ${JSON.stringify(v)}`;
  return [a[0] as number, a[1] as number];
};

/** The window of a convolution or pooling over `n` pixels: output size and padding before. */
function window(n: number, k: number, s: number, padding: unknown): { out: number; pad: number } | string {
  if (padding === 'valid') return n < k ? `a ${k}-wide window over ${n} pixels` : { out: Math.floor((n - k) / s) + 1, pad: 0 };
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    return { out, pad: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) };
  }
  return `padding ${String(padding)}`;
}

/** The layers in order if the model is one chain (Sequential, or functional without branches), else why not. */
function chain(model: tf.LayersModel): tf.layers.Layer[] | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'not a model of one input and one output';
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  let previous: tf.layers.Layer | undefined;
  for (const layer of layers) {
    const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
    if ('layers' in layer) return `layer ${layer.name} is a nested model`;
    const from = nodes[0]?.inboundLayers ?? [];
    const fromPrevious = previous ? from.length === 1 && from[0] === previous : from.length <= 1 && (from.length === 0 || from[0]!.getClassName() === 'InputLayer');
    if (nodes.length !== 1 || !fromPrevious) return `layer ${layer.name} is not fed by the layer before it alone`;
    previous = layer;
  }
  return layers;
}

function isActivation(a: unknown): a is Exclude<ProgramActivation, 'softmax'> {
  return a === 'relu' || a === 'linear' || a === 'sigmoid' || a === 'tanh';
}

/**
 * Compiles a model into the engine's ops, or says why it cannot: a chain of Dense, Conv2D
 * (kernel 1-7, strides 1-2, valid/same, no dilation), MaxPooling2D and AveragePooling2D (windows
 * 1-3, strides 1-3), BatchNormalization (last axis, with center and scale), Dropout, Flatten,
 * Reshape, Activation/ReLU/Softmax layers (relu, sigmoid, tanh, linear; softmax last), on a flat or
 * channels-last image input, ending in softmax over a flat output.
 */
export function compileProgram(model: tf.LayersModel): Program | string {
  const layers = chain(model);
  if (typeof layers === 'string') return layers;
  const shape = model.inputs[0]!.shape;
  if (shape.slice(1).some((d) => !(Number.isInteger(d) && d! > 0))) return `input shape ${JSON.stringify(shape)} is not fixed`;
  let map: MapShape;
  if (shape.length === 2) map = { h: 1, w: 1, c: shape[1]!, cs: shape[1]!, flat: true };
  else if (shape.length === 4) map = { h: shape[1]!, w: shape[2]!, c: shape[3]!, cs: shape[3]!, flat: false };
  // rows x columns: one row of pixels per map row as far as layout goes (a Reshape to channels usually follows)
  else if (shape.length === 3) map = { h: 1, w: shape[1]!, c: shape[2]!, cs: shape[2]!, flat: false };
  else return `input of rank ${shape.length - 1} (the engine takes flat, rows x columns or height x width x channels inputs)`;
  const pixels = map.h * map.w * map.c;
  const ops: ProgramOp[] = [];
  let paramFloats = 0;
  let statFloats = 0;
  let batchStatistics = false;
  const param = (variable: tf.LayerVariable, rows: number, cols: number, realRows: number, realCols: number, group: number, groupStride: number, trainable = true): ParamLayout => {
    const at = trainable ? paramFloats : statFloats;
    const floats = rows * roundUp4(cols);
    if (trainable) paramFloats += floats;
    else statFloats += floats;
    return { variable, trainable, offset: at, rows, cols: roundUp4(cols), realRows, realCols, group, groupStride };
  };
  const push = (layer: tf.layers.Layer, kind: OpKind, output: MapShape, extra: Partial<ProgramOp> = {}): ProgramOp => {
    const op: ProgramOp = {
      kind, act: 'linear', layer, input: map, output, inSize: sizeOf(map), outSize: sizeOf(output),
      kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, K: 0, dropRate: 0, eps: 0, momentum: 0, count: 0,
      needDx: ops.some((o) => o.params.length > 0), params: [], ...extra,
    };
    ops.push(op);
    map = output;
    return op;
  };
  // an activation after the last op: fused when that op computes one and has none yet
  const activation = (layer: tf.layers.Layer, act: ProgramActivation) => {
    const last = ops.at(-1);
    if (act === 'linear') return;
    if (last && last.act === 'linear' && last.output === map && (last.kind === 'dense' || last.kind === 'conv' || last.kind === 'batchnorm' || last.kind === 'activation')) {
      last.act = act;
      return;
    }
    push(layer, 'activation', map).act = act;
  };
  let done = false;
  for (const layer of layers) {
    const name = layer.getClassName();
    const config = layer.getConfig() as Config;
    const at = `layer ${layer.name} (${name})`;
    if (done) return `${at} follows the softmax`;
    if (layer.weights.some((w) => w.dtype !== 'float32')) return `${at} is not float32`;
    const layerActivation = (): string | undefined => {
      const a = config['activation'] ?? 'linear';
      if (a === 'softmax') {
        activation(layer, 'softmax');
        done = true;
      } else if (isActivation(a)) activation(layer, a);
      else return `${at} has activation ${String(a)}`;
      return undefined;
    };
    switch (name) {
      case 'Dense': {
        if (!map.flat) return `${at} on a ${map.h}x${map.w} map (Flatten first)`;
        if (config['useBias'] === false) return `${at} has no bias`;
        const units = config['units'] as number;
        const input = map;
        const inputs = input.h * input.w * input.c;
        const [kernel, bias] = layer.weights as tf.LayerVariable[];
        const out: MapShape = { h: 1, w: 1, c: units, cs: roundUp4(units), flat: true };
        const inSize = sizeOf(input);
        const op = push(layer, 'dense', out, { K: inSize });
        op.params = [param(kernel!, inSize, units, inputs, units, input.c, input.cs), param(bias!, 1, units, 1, units, 1, 1)];
        const reason = layerActivation();
        if (reason) return reason;
        break;
      }
      case 'Conv2D': {
        if (map.flat) return `${at} on a flat input (Reshape first)`;
        if (config['useBias'] === false) return `${at} has no bias`;
        if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return `${at} is channels-first`;
        const k = pair(config['kernelSize'], 'kernel size');
        const s = pair(config['strides'] ?? 1, 'strides');
        const d = pair(config['dilationRate'] ?? 1, 'dilation rate');
        if (typeof k === 'string' || typeof s === 'string' || typeof d === 'string') return `${at} has ${[k, s, d].find((x) => typeof x === 'string')}`;
        if (d[0] !== 1 || d[1] !== 1) return `${at} is dilated`;
        if (k.some((x) => x > 7) || s.some((x) => x > 2)) return `${at} has a ${k.join('x')} kernel with strides ${s.join('x')} (the engine runs kernels up to 7 and strides up to 2)`;
        const wy = window(map.h, k[0], s[0], config['padding']);
        const wx = window(map.w, k[1], s[1], config['padding']);
        if (typeof wy === 'string' || typeof wx === 'string') return `${at} has ${typeof wy === 'string' ? wy : wx}`;
        const filters = config['filters'] as number;
        const input = map;
        const K = roundUp4(k[0] * k[1] * input.cs);
        const [kernel, bias] = layer.weights as tf.LayerVariable[];
        const out: MapShape = { h: wy.out, w: wx.out, c: filters, cs: roundUp4(filters), flat: false };
        const op = push(layer, 'conv', out, { kh: k[0], kw: k[1], sh: s[0], sw: s[1], pt: wy.pad, pl: wx.pad, K });
        op.params = [param(kernel!, K, filters, k[0] * k[1] * input.c, filters, input.c, input.cs), param(bias!, 1, filters, 1, filters, 1, 1)];
        const reason = layerActivation();
        if (reason) return reason;
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (map.flat) return `${at} on a flat input (Reshape first)`;
        if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return `${at} is channels-first`;
        if (map.cs % 4 !== 0) return `${at} on a map of ${map.c} channels (the engine pools maps of 4n channels or after a Conv2D)`;
        const k = pair(config['poolSize'] ?? 2, 'pool size');
        const s = pair(config['strides'] ?? config['poolSize'] ?? 2, 'strides');
        if (typeof k === 'string' || typeof s === 'string') return `${at} has ${typeof k === 'string' ? k : s}`;
        if (k.some((x) => x > 3) || s.some((x) => x > 3)) return `${at} has a ${k.join('x')} window with strides ${s.join('x')} (the engine pools windows up to 3)`;
        const wy = window(map.h, k[0], s[0], config['padding'] ?? 'valid');
        const wx = window(map.w, k[1], s[1], config['padding'] ?? 'valid');
        if (typeof wy === 'string' || typeof wx === 'string') return `${at} has ${typeof wy === 'string' ? wy : wx}`;
        push(layer, name === 'MaxPooling2D' ? 'maxpool' : 'avgpool', { ...map, h: wy.out, w: wx.out }, { kh: k[0], kw: k[1], sh: s[0], sw: s[1], pt: wy.pad, pl: wx.pad });
        break;
      }
      case 'BatchNormalization': {
        const axis = config['axis'];
        const rank = map.flat ? 1 : 3;
        if (!(axis === -1 || axis === rank || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === rank)))) {
          return `${at} normalizes axis ${JSON.stringify(axis)}, not the last`;
        }
        if (config['center'] === false || config['scale'] === false) return `${at} has no ${config['center'] === false ? 'center' : 'scale'}`;
        const [gamma, beta, mean, variance] = layer.weights as tf.LayerVariable[];
        const op = push(layer, 'batchnorm', map, { eps: config['epsilon'] as number, momentum: config['momentum'] as number });
        op.params = [
          param(gamma!, 1, map.c, 1, map.c, 1, 1),
          param(beta!, 1, map.c, 1, map.c, 1, 1),
          param(mean!, 1, map.c, 1, map.c, 1, 1, false),
          param(variance!, 1, map.c, 1, map.c, 1, 1, false),
        ];
        // cs of the statistics must cover the map's stride
        if (roundUp4(map.c) < map.cs) return `${at} on padded channels`;
        batchStatistics = true;
        break;
      }
      case 'Dropout': {
        const rate = config['rate'] as number;
        if (config['noiseShape'] != null) return `${at} has a noise shape`;
        if (!(rate >= 0 && rate < 1)) return `${at} has rate ${rate}`;
        push(layer, 'dropout', map, { dropRate: rate });
        break;
      }
      case 'Flatten':
        map = { h: 1, w: map.h * map.w, c: map.c, cs: map.cs, flat: true };
        break;
      case 'Reshape': {
        const target = config['targetShape'] as number[];
        const count = map.h * map.w * map.c;
        const dims = target.includes(-1) ? target.map((d) => (d === -1 ? count / target.filter((x) => x !== -1).reduce((a, b) => a * b, 1) : d)) : target;
        if (dims.reduce((a, b) => a * b, 1) !== count) return `${at} has target shape ${JSON.stringify(target)}`;
        let next: MapShape;
        if (dims.length === 1) next = { h: 1, w: 1, c: count, cs: count, flat: true };
        else if (dims.length === 2) next = { h: 1, w: dims[0]!, c: dims[1]!, cs: dims[1]!, flat: false };
        else if (dims.length === 3) next = { h: dims[0]!, w: dims[1]!, c: dims[2]!, cs: dims[2]!, flat: false };
        else return `${at} reshapes to rank ${dims.length} (the engine runs flat, rows x columns and height x width x channels tensors)`;
        if (map.c === map.cs) map = next; // the same floats in the same order
        else push(layer, 'repack', next, { count });
        break;
      }
      case 'Activation':
      case 'ReLU':
      case 'Softmax': {
        const a = name === 'Activation' ? config['activation'] : name === 'Softmax' ? 'softmax' : config['maxValue'] == null ? 'relu' : 'relu6';
        if (a === 'softmax') {
          if (name === 'Softmax' && config['axis'] !== undefined && config['axis'] !== -1 && !(map.flat && config['axis'] === 1)) return `${at} over axis ${String(config['axis'])}`;
          activation(layer, 'softmax');
          done = true;
        } else if (isActivation(a)) activation(layer, a);
        else return `${at} has activation ${String(a)}`;
        break;
      }
      default:
        return `${at} is not supported by the digits engine`;
    }
  }
  if (!done || ops.length === 0) return 'the model does not end in softmax';
  if (map.h * map.w !== 1 || !map.flat) return 'the softmax is not over a flat output';
  if (ops.length > MAX_OPS) return `more than ${MAX_OPS} ops`;
  const first = ops[0]!;
  return {
    inputSize: first.inSize, pixels, ops, classes: map.c, paramFloats, statFloats, batchStatistics,
  };
}

/**
 * A program the engine can train, or why not: `compileProgram`'s model, all layers trainable and
 * without regularizers or constraints, compiled with categorical cross-entropy (one-hot or sparse)
 * and Adam, SGD, Momentum or RMSprop (not centered).
 */
export function compileTraining(model: tf.LayersModel): TrainingProgram | string {
  if (!hasCategoricalCrossentropy(model)) {
    return `loss ${JSON.stringify((model as unknown as { loss?: unknown }).loss)} is not categorical cross-entropy (one-hot or sparse)`;
  }
  const optimizer = readOptimizer(model.optimizer);
  if (typeof optimizer === 'string') return optimizer;
  const program = compileProgram(model);
  if (typeof program === 'string') return program;
  for (const op of program.ops) {
    if (op.params.length === 0) continue;
    const layer = op.layer;
    if (!layer.trainable) return `layer ${layer.name} is frozen`;
    const config = layer.getConfig() as Config;
    for (const key of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint', 'gammaRegularizer', 'betaRegularizer', 'gammaConstraint', 'betaConstraint']) {
      if (config[key] != null) return `layer ${layer.name} has a ${key}`;
    }
  }
  return { ...program, optimizer };
}
