import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '@digits/mnist-data';
import { checkCheckpointDataset, datasetIdentity, loadCheckpoint, memoryHandler, saveCheckpoint, saveModel } from './index';
import * as node from './node';
import { mnist, smallMlp, trainBriefly, weightBytes } from './test-utils/models';

let data: Dataset;
let model: tf.Sequential;
let work: string;
const settings = { arch: 'mlp', epochs: 5, batchSize: 64, seed: 3, limit: 512 };
const history = [{ epoch: 1, loss: 0.9, acc: 0.7, seconds: 1.5 }];

beforeAll(async () => {
  data = await mnist();
  model = smallMlp(11, { dropout: false });
  await trainBriefly(model, data.train, 256);
  work = await mkdtemp(join(tmpdir(), 'model-io-checkpoint-'));
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

async function optimizerBytes(m: tf.LayersModel): Promise<{ name: string; bytes: Uint8Array }[]> {
  const weights = await m.optimizer.getWeights();
  const out = weights.map((w) => ({ name: w.name, bytes: new Uint8Array(w.tensor.dataSync().slice().buffer) }));
  weights[0]?.tensor.dispose(); // the step count is a fresh scalar; the moments are the optimizer's own variables
  return out;
}

describe('checkpoints', () => {
  it('round-trip through any IOHandler: weights and optimizer state bit for bit, settings, history and dataset identity', async () => {
    const dataset = await datasetIdentity(data, 'mnist');
    expect(dataset).toMatchObject({ name: 'mnist', source: 'mnist', checksums: data.checksums, trainCount: 60000, testCount: 10000 });
    expect(dataset.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    const memory = memoryHandler();
    await saveCheckpoint(model, memory, { settings, history, dataset }, { card: { name: 'digits-mlp' } });
    const before = tf.memory().numTensors;
    const restored = await loadCheckpoint<typeof settings>(memory);
    expect(restored.settings).toEqual(settings);
    expect(restored.history).toEqual(history);
    expect(restored.dataset).toEqual(dataset);
    expect(restored.card.name).toBe('digits-mlp');
    expect(restored.card.training).toMatchObject({ ...settings, completedEpochs: 1, optimizer: { className: 'Adam' } });
    expect(weightBytes(restored.model)).toEqual(weightBytes(model));
    const [original, loaded] = [await optimizerBytes(model), await optimizerBytes(restored.model)];
    expect(original.length).toBe(1 + 2 * model.trainableWeights.length);
    expect(loaded).toEqual(original);
    restored.model.optimizer.dispose();
    restored.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on Node, into a directory (and a resume from there finds the same state)', async () => {
    const dir = join(work, 'run');
    const dataset = await datasetIdentity(data, 'mnist');
    await node.saveCheckpoint(model, dir, { settings, history: [], dataset });
    await expect(node.saveCheckpoint(model, dir, { settings, history, dataset })).rejects.toMatchObject({ code: 'MODEL_EXISTS' });
    await node.saveCheckpoint(model, dir, { settings, history, dataset }, { overwrite: true });
    const restored = await node.loadCheckpoint(dir);
    expect(restored.history).toEqual(history);
    expect(await optimizerBytes(restored.model)).toEqual(await optimizerBytes(model));
    restored.model.dispose();
  });

  it('a model saved without checkpoint state is MODEL_INVALID, and leaks nothing', async () => {
    const memory = memoryHandler();
    await saveModel(model, memory, { includeOptimizer: true });
    const before = tf.memory().numTensors;
    await expect(loadCheckpoint(memory)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/not a training checkpoint: no checkpoint state/) });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the same dataset passes the identity check; one changed pixel, label or count is DATASET_CHANGED', async () => {
    const saved = await datasetIdentity(data, '/data/mnist');
    await checkCheckpointDataset(saved, data);
    const pixel = { ...data, checksums: undefined, train: { ...data.train, images: data.train.images.slice() } } as Dataset;
    pixel.train.images[12345] = pixel.train.images[12345]! ^ 1;
    await expect(checkCheckpointDataset(saved, pixel)).rejects.toMatchObject({ code: 'DATASET_CHANGED', file: '/data/mnist', message: expect.stringMatching(/content SHA-256 [0-9a-f]{12}\.\.\. now/) });
    const label = { ...data, checksums: undefined, test: { ...data.test, labels: data.test.labels.slice() } } as Dataset;
    label.test.labels[0] = (label.test.labels[0]! + 1) % 10;
    await expect(checkCheckpointDataset(saved, label)).rejects.toMatchObject({ code: 'DATASET_CHANGED' });
    const fewer = { ...data, train: { ...data.train, count: 59999 } } as Dataset;
    await expect(checkCheckpointDataset(saved, fewer)).rejects.toMatchObject({ code: 'DATASET_CHANGED', message: expect.stringContaining('59999 training') });
    const files = { ...data, checksums: { ...data.checksums, 'train-labels-idx1-ubyte': '0'.repeat(64) } } as Dataset;
    await expect(checkCheckpointDataset(saved, files)).rejects.toMatchObject({ code: 'DATASET_CHANGED', message: expect.stringContaining('train-labels-idx1-ubyte') });
  });
});
