import * as tf from '@tensorflow/tfjs';
import type { Split } from '@digits/mnist-data';
import type { ProgramEngine } from '../engine';

/** The first `count` samples of a split as the engine reads them: float pixels / 255 and labels. */
export function batchOf(split: Split, count: number): { x: Float32Array; labels: Uint8Array } {
  const pixels = split.images.length / split.count;
  const x = new Float32Array(count * pixels);
  for (let i = 0; i < x.length; i++) x[i] = split.images[i]! / 255;
  return { x, labels: split.labels.slice(0, count) };
}

/**
 * tfjs' own loss and gradients for one training batch (as model.fit computes them on the active
 * backend, cpu in the tests), with dropout applied as the engine drew it: each Dropout layer's
 * output is its input times the engine's factors for that op. Returns the mean loss, the softmax
 * outputs and each trainable variable's gradient by name.
 */
export function referenceStep(
  model: tf.LayersModel,
  x: Float32Array,
  labels: Uint8Array,
  dropout: (layer: tf.layers.Layer) => Float32Array | undefined,
): { loss: number; probs: Float32Array; grads: Map<string, Float32Array> } {
  const count = labels.length;
  const inputShape = [count, ...model.inputs[0]!.shape.slice(1)] as number[];
  const classes = model.outputs[0]!.shape[1]!;
  const variables = model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
  let probs: Float32Array = new Float32Array(0);
  const { value, grads } = tf.tidy(() => {
    const input = tf.tensor(x, inputShape);
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    return tf.variableGrads(() => {
      let h: tf.Tensor = input;
      for (const layer of model.layers) {
        if (layer.getClassName() === 'InputLayer') continue;
        if (layer.getClassName() === 'Dropout') {
          const factors = dropout(layer);
          h = factors ? tf.mul(h, tf.tensor(factors, h.shape)) : h;
          continue;
        }
        h = layer.getClassName() === 'AveragePooling2D' && (layer.getConfig() as { padding?: string }).padding === 'same'
          ? averagePoolSame(h, layer.getConfig() as { poolSize: number[]; strides: number[] })
          : (layer.apply(h, { training: true }) as tf.Tensor);
      }
      probs = h.dataSync() as Float32Array;
      const clipped = tf.clipByValue(h, 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.log(clipped)), -1))) as tf.Scalar;
    }, variables);
  });
  const byName = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) byName.set(name, g.dataSync() as Float32Array);
  const loss = value.dataSync()[0]!;
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  return { loss, probs, grads: byName };
}

/**
 * AveragePooling2D with 'same' padding as TensorFlow defines it and differentiates it: the mean of
 * the window's pixels inside the map. tfjs' cpu kernel computes that forward, but its gradient
 * (AvgPoolGrad) divides by the whole window, padding included, so it is rebuilt here from ops whose
 * gradients are exact: zero padding, a valid sum pool, and a division by the count of real pixels.
 */
function averagePoolSame(x: tf.Tensor, config: { poolSize: number[]; strides: number[] }): tf.Tensor {
  const [kh, kw] = config.poolSize as [number, number];
  const [sh, sw] = config.strides as [number, number];
  const [, h, w] = x.shape as number[];
  const pads = [h!, w!].map((n, i) => {
    const k = i === 0 ? kh : kw;
    const s = i === 0 ? sh : sw;
    const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
  });
  const padding: [number, number][] = [[0, 0], pads[0]!, pads[1]!, [0, 0]];
  const sum = (t: tf.Tensor) => tf.mul(tf.avgPool(tf.pad(t, padding) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid'), kh * kw);
  const count = sum(tf.onesLike(tf.slice(x, [0, 0, 0, 0], [1, -1, -1, 1])));
  return tf.div(sum(x), count);
}

/**
 * Largest |a - b| relative to the largest |b|, or to 1e-3 where b is smaller (a conv's bias before
 * batchnorm has a true gradient of 0: both sides are rounding noise).
 */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-3);
}

/** The engine's factors for each Dropout layer of a program, for `referenceStep`. */
export function engineDropout(engine: ProgramEngine, seed: number, rows: number): (layer: tf.layers.Layer) => Float32Array | undefined {
  return (layer) => {
    const i = engine.program.ops.findIndex((op) => op.layer === layer && op.kind === 'dropout');
    if (i < 0) return undefined;
    const op = engine.program.ops[i]!;
    const all = engine.dropoutFactors(i, seed, 0, rows);
    // the op's floats per sample include padding channels; tfjs' tensor has the real ones
    const { c, cs } = op.input;
    const real = (op.input.h * op.input.w * c);
    const out = new Float32Array(rows * real);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < real; j++) out[r * real + j] = all[r * op.outSize + Math.floor(j / c) * cs + (j % c)]!;
    }
    return out;
  };
}
