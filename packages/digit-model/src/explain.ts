import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { sampleShape } from './predict';

/**
 * "What drove the prediction": saliency on the input, the most active hidden units of an MLP with
 * their weight images, a convnet's first feature maps. All run in tfjs inside tf.tidy (no tensor
 * outlives a call) and take one image of n pixels (0..1, white ink on black, as preprocessImage gives).
 */

function checkPixels(model: tf.LayersModel, pixels: Float32Array): void {
  const size = sampleShape(model).reduce((a, b) => a * b, 1);
  if (pixels.length !== size) throw new DigitsError('BAD_ARGUMENT', `the model reads ${size} values per image, got ${pixels.length}`);
}

/**
 * Gradient x input of log p(digit) for one image (default digit: the predicted one): positive
 * where ink pushed the model towards `digit`, negative where it pushed away. Returns one value per
 * pixel, scaled so the largest magnitude is 1 (all zeros for a blank input), and the digit explained.
 */
export function saliency(model: tf.LayersModel, pixels: Float32Array, digit?: number): { values: Float32Array; digit: number } {
  checkPixels(model, pixels);
  const shape = sampleShape(model);
  return tf.tidy(() => {
    const x = tf.tensor(pixels, [1, ...shape]);
    const probabilities = model.predict(x) as tf.Tensor;
    const target = digit ?? (probabilities.argMax(-1).dataSync()[0] ?? 0);
    const classes = probabilities.shape[probabilities.shape.length - 1] ?? 0;
    if (!Number.isInteger(target) || target < 0 || target >= classes) throw new DigitsError('BAD_ARGUMENT', `digit must be 0-${classes - 1}, got ${target}`);
    const gradient = tf.grad((input: tf.Tensor) => {
      const p = model.predict(input) as tf.Tensor;
      return tf.log(p.reshape([-1]).slice([target], [1]).clipByValue(1e-7, 1)).sum();
    })(x);
    const values = gradient.mul(x).reshape([-1]).dataSync() as Float32Array;
    let max = 0;
    for (const v of values) max = Math.max(max, Math.abs(v));
    const out = new Float32Array(values.length);
    if (max > 0) for (let i = 0; i < values.length; i++) out[i] = values[i]! / max;
    return { values: out, digit: target };
  });
}

/** Sub-models from the input to an inner layer's output, built once per model and layer. */
const probes = new WeakMap<tf.LayersModel, Map<string, tf.LayersModel>>();
function probe(model: tf.LayersModel, layer: tf.layers.Layer): tf.LayersModel {
  let byLayer = probes.get(model);
  if (!byLayer) probes.set(model, (byLayer = new Map()));
  let sub = byLayer.get(layer.name);
  if (!sub) byLayer.set(layer.name, (sub = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor })));
  return sub;
}

export interface HiddenUnit {
  /** Index of the unit in the first Dense layer. */
  unit: number;
  /** Its activation for this image (after ReLU). */
  activation: number;
  /** The unit's incoming weights, one per input pixel: the pattern it responds to. */
  weights: Float32Array;
}

/**
 * For a model whose first weighted layer is Dense on the flat image (the tutorial MLP): the `count`
 * (default 6) most active units of that layer for this image, each with its weight image.
 * Throws DigitsError BAD_ARGUMENT for models without one (use featureMaps for a convnet).
 */
export function topHiddenUnits(model: tf.LayersModel, pixels: Float32Array, count = 6): { layer: string; units: HiddenUnit[] } {
  checkPixels(model, pixels);
  const layer = model.layers.find((l) => l.getClassName() === 'Dense' || l.getClassName() === 'Conv2D');
  if (!layer || layer.getClassName() !== 'Dense') {
    throw new DigitsError('BAD_ARGUMENT', `the model's first weighted layer is ${layer?.getClassName() ?? 'missing'}, not Dense: it has no hidden units over the input pixels`);
  }
  const [kernel] = layer.getWeights();
  const inputs = kernel!.shape[0]!;
  if (inputs !== pixels.length) throw new DigitsError('BAD_ARGUMENT', `layer ${layer.name} reads ${inputs} values, not the ${pixels.length} input pixels`);
  const activations = tf.tidy(() => (probe(model, layer).predict(tf.tensor(pixels, [1, ...sampleShape(model)])) as tf.Tensor).relu().dataSync() as Float32Array);
  const order = Array.from(activations.keys()).sort((a, b) => activations[b]! - activations[a]!).slice(0, count);
  const units = order.map((unit) => ({
    unit,
    activation: activations[unit]!,
    weights: tf.tidy(() => kernel!.slice([0, unit], [inputs, 1]).reshape([-1]).dataSync() as Float32Array),
  }));
  return { layer: layer.name, units };
}

export interface FeatureMaps {
  layer: string;
  width: number;
  height: number;
  /** One map per channel (width*height values, row-major), the strongest first, at most `count`. */
  maps: { channel: number; mean: number; values: Float32Array }[];
}

/**
 * A convnet's first Conv2D layer's output for this image: the `count` (default 8) channels with the
 * highest mean activation. Throws DigitsError BAD_ARGUMENT for models without a Conv2D layer.
 */
export function featureMaps(model: tf.LayersModel, pixels: Float32Array, count = 8): FeatureMaps {
  checkPixels(model, pixels);
  const layer = model.layers.find((l) => l.getClassName() === 'Conv2D');
  if (!layer) throw new DigitsError('BAD_ARGUMENT', 'the model has no Conv2D layer: it has no feature maps (use topHiddenUnits for an MLP)');
  const { values, shape } = tf.tidy(() => {
    const out = probe(model, layer).predict(tf.tensor(pixels, [1, ...sampleShape(model)])) as tf.Tensor;
    // channels first, so each map is a contiguous slice
    return { values: out.squeeze([0]).transpose([2, 0, 1]).dataSync() as Float32Array, shape: out.shape };
  });
  const [, height = 0, width = 0, channels = 0] = shape;
  const area = width * height;
  const maps = Array.from({ length: channels }, (_, channel) => {
    const map = values.slice(channel * area, (channel + 1) * area);
    return { channel, mean: map.reduce((s, v) => s + v, 0) / area, values: map };
  })
    .sort((a, b) => b.mean - a.mean)
    .slice(0, count);
  return { layer: layer.name, width, height, maps };
}
