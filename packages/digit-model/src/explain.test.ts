import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalize, takeFirst, type Split } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { featureMaps, saliency, topHiddenUnits } from './explain';
import { createCnn, createMlp } from './models';
import { predictProbabilities } from './predict';
import { train } from './train';
import { mnist } from './test-utils/mnist';

let test: Split;
let mlp: tf.Sequential;

beforeAll(async () => {
  await selectBackend('wasm');
  const data = await mnist();
  test = takeFirst(data.test, 40);
  mlp = createMlp({ seed: 5, hiddenUnits: [128] });
  await train(mlp, takeFirst(data.train, 3000), { epochs: 2, batchSize: 32, validationSplit: 0 });
});

const image = (i: number) => normalize(test.images.subarray(i * 784, (i + 1) * 784));
const top = (model: tf.LayersModel, x: Float32Array, digit: number) => predictProbabilities(model, x)[digit]!;

describe('saliency', () => {
  it('marks the pixels that matter: removing the most salient ink hurts more than removing random ink', () => {
    let salientDrop = 0;
    let randomDrop = 0;
    for (let i = 0; i < 20; i++) {
      const x = image(i);
      const { values, digit } = saliency(mlp, x);
      expect(Math.max(...values.map(Math.abs))).toBeCloseTo(1, 5);
      for (let p = 0; p < 784; p++) if (x[p] === 0) expect(Math.abs(values[p]!)).toBe(0); // gradient x input: no ink, no credit
      const ink = [...x.keys()].filter((p) => x[p]! > 0);
      const k = Math.floor(ink.length / 5);
      const salient = [...ink].sort((a, b) => values[b]! - values[a]!).slice(0, k);
      const random = ink.filter((_, j) => j % 5 === 0).slice(0, k);
      const without = (pixels: number[]) => {
        const copy = x.slice();
        for (const p of pixels) copy[p] = 0;
        return copy;
      };
      const p0 = top(mlp, x, digit);
      salientDrop += p0 - top(mlp, without(salient), digit);
      randomDrop += p0 - top(mlp, without(random), digit);
    }
    expect(salientDrop).toBeGreaterThan(randomDrop * 2);
  });

  it('explains a chosen digit, works on a convnet, and leaks no tensors', () => {
    const cnn = createCnn({ seed: 2 });
    const before = tf.memory().numTensors;
    expect(saliency(mlp, image(0), 3).digit).toBe(3);
    expect(saliency(cnn, image(1)).values).toHaveLength(784);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => saliency(mlp, image(0), 10)).toThrow(/digit must be 0-9/);
    expect(() => saliency(mlp, new Float32Array(10))).toThrow(/784 values per image, got 10/);
    cnn.dispose();
  });
});

describe('topHiddenUnits', () => {
  it('returns the most active first-layer units with their activations and weight images', () => {
    const x = image(2);
    const before = tf.memory().numTensors;
    const { layer, units } = topHiddenUnits(mlp, x, 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(layer).toBe('dense_1');
    expect(units).toHaveLength(5);
    const [kernel, bias] = mlp.getLayer('dense_1').getWeights();
    const w = kernel!.arraySync() as number[][];
    const b = bias!.dataSync();
    const all = Array.from({ length: 128 }, (_, u) => Math.max(0, x.reduce((s, v, p) => s + v * w[p]![u]!, b[u]!)));
    const expected = [...all].sort((p, q) => q - p).slice(0, 5);
    units.forEach((unit, i) => {
      expect(unit.activation).toBeCloseTo(expected[i]!, 3);
      expect(unit.activation).toBeCloseTo(all[unit.unit]!, 3);
      expect(unit.weights).toHaveLength(784);
      expect(unit.weights[100]).toBeCloseTo(w[100]![unit.unit]!, 6);
    });
  });

  it('says why a convnet has none', () => {
    const cnn = createCnn({ seed: 1 });
    expect(() => topHiddenUnits(cnn, image(0))).toThrow(/first weighted layer is Conv2D, not Dense/);
    cnn.dispose();
  });
});

describe('featureMaps', () => {
  it("returns a convnet's first conv outputs, strongest first, equal to the convolution itself", () => {
    const cnn = createCnn({ seed: 4 });
    const x = image(3);
    const before = tf.memory().numTensors;
    const result = featureMaps(cnn, x, 4);
    expect(tf.memory().numTensors).toBe(before);
    expect([result.layer, result.width, result.height, result.maps.length]).toEqual(['conv2d_1', 26, 26, 4]);
    for (let i = 1; i < result.maps.length; i++) expect(result.maps[i - 1]!.mean).toBeGreaterThanOrEqual(result.maps[i]!.mean);
    const [kernel, bias] = cnn.getLayer('conv2d_1').getWeights();
    const direct = tf.tidy(() => tf.relu(tf.conv2d(tf.tensor4d(x, [1, 28, 28, 1]), kernel as tf.Tensor4D, 1, 'valid').add(bias!)).squeeze().arraySync() as number[][][]);
    const { channel, values } = result.maps[0]!;
    for (const p of [0, 200, 338, 675]) expect(values[p]).toBeCloseTo(direct[Math.floor(p / 26)]![p % 26]![channel]!, 4);
    expect(() => featureMaps(mlp, x)).toThrow(/no Conv2D layer/);
    cnn.dispose();
  });
});
