import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatherBatch, takeFirst, type Dataset, type Split } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { createCnn, createMlp } from './models';
import { evaluate } from './predict';
import { train, type EpochLog } from './train';
import { registerTrainer, type EpochPlan } from './trainer';
import { mnist } from './test-utils/mnist';

let data: Dataset;
let small: Split;
const small_net = (seed = 1) => createMlp({ hiddenUnits: [64, 64], seed });
const withoutSeconds = (epochs: EpochLog[]) => epochs.map(({ seconds, ...rest }) => (expect(seconds).toBeGreaterThan(0), rest));
const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

beforeAll(async () => {
  await selectBackend('wasm');
  data = await mnist();
  small = takeFirst(data.train, 600);
});

describe('train (wasm backend)', () => {
  it('learns the tutorial MLP: 2,000 images, 2 epochs -> > 85% on 1,000 test images', async () => {
    const model = createMlp({ seed: 42 });
    const history = await train(model, takeFirst(data.train, 2000), { epochs: 2, batchSize: 32, seed: 42, validationSplit: 0 });
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(history.epochs[1]!.loss).toBeLessThan(history.epochs[0]!.loss);
    const { accuracy } = await evaluate(model, takeFirst(data.test, 1000));
    expect(accuracy).toBeGreaterThan(0.85);
  });

  it('holds out 10% for validation by default, none with validationSplit 0, or validates on given data', async () => {
    const batches: number[] = [];
    const held = await train(small_net(), small, { epochs: 1, onBatchEnd: (_, total) => batches.push(total) });
    expect(held.epochs[0]).toEqual(expect.objectContaining({ val_loss: expect.any(Number), val_acc: expect.any(Number) }));
    expect(batches.length).toBe(Math.ceil(540 / 128));
    expect(batches[0]).toBe(5);

    const none = await train(small_net(), small, { epochs: 1, validationSplit: 0 });
    expect(none.epochs[0]!.val_loss).toBeUndefined();

    const model = small_net();
    const testPart = takeFirst(data.test, 300);
    const given = await train(model, small, { epochs: 1, validationData: testPart });
    expect(given.epochs[0]!.val_acc).toBe((await evaluate(model, testPart)).accuracy);
  });

  it('is deterministic: same seed, same history and weights; another seed differs', async () => {
    const run = async (seed: number) => {
      const model = small_net(seed);
      const history = await train(model, small, { epochs: 2, seed });
      return { history: withoutSeconds(history.epochs), weights: weightsOf(model) };
    };
    const a = await run(3);
    const b = await run(3);
    expect(b.history).toEqual(a.history);
    expect(b.weights).toEqual(a.weights);
    const c = await run(4);
    expect(c.history[0]!.loss).not.toBe(a.history[0]!.loss);
  });

  it('leaks no tensors from epoch to epoch', async () => {
    const counts: number[] = [];
    const model = small_net();
    await train(model, small, { epochs: 3, onEpochEnd: () => void counts.push(tf.memory().numTensors) });
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
    const before = tf.memory().numTensors;
    await train(model, small, { epochs: 4, initialEpoch: 3 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumes: 1 epoch then 1 more from initialEpoch/history equals 2 epochs straight', async () => {
    const straight = small_net(9);
    const full = await train(straight, small, { epochs: 2, seed: 9 });
    const resumed = small_net(9);
    const first = await train(resumed, small, { epochs: 1, seed: 9 });
    const second = await train(resumed, small, { epochs: 2, seed: 9, history: first.epochs });
    expect(withoutSeconds(second.epochs)).toEqual(withoutSeconds(full.epochs));
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
  });

  it('calls onEpochEnd then checkpoint after every epoch', async () => {
    const calls: string[] = [];
    await train(small_net(), small, {
      epochs: 2,
      onEpochEnd: (log, model) => void calls.push(`end ${log.epoch} ${model.name}`),
      checkpoint: (model, epoch, history) => void calls.push(`checkpoint ${epoch} ${history.epochs.length} ${model.name}`),
    });
    expect(calls).toEqual(['end 1 mlp', 'checkpoint 1 1 mlp', 'end 2 mlp', 'checkpoint 2 2 mlp']);
  });

  it('stops early when the monitored value stops improving', async () => {
    const history = await train(small_net(), small, { epochs: 10, earlyStopping: { monitor: 'val_acc', patience: 1, minDelta: 1 } });
    expect(history.epochs.length).toBe(2);
    expect(history.stopped).toBe('early-stopping');
    await expect(train(small_net(), small, { validationSplit: 0, earlyStopping: { monitor: 'val_loss', patience: 1 } })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it('stops cleanly on an AbortSignal, keeping only finished epochs', async () => {
    const controller = new AbortController();
    let finished = 0;
    const history = await train(small_net(), small, {
      epochs: 5,
      signal: controller.signal,
      onBatchEnd: (batch) => {
        if (finished === 1 && batch === 1) controller.abort();
      },
      onEpochEnd: () => void finished++,
    });
    expect(history.epochs.length).toBe(1);
    expect(history.stopped).toBe('aborted');
    const never = await train(small_net(), small, { signal: AbortSignal.abort() });
    expect(never.epochs).toEqual([]);
  });

  it('augments the training split afresh each epoch when asked, reproducibly', async () => {
    const run = async () => {
      const model = small_net(5);
      return withoutSeconds((await train(model, small, { epochs: 2, seed: 5, augment: { rotation: 15 } })).epochs);
    };
    const augmented = await run();
    expect(await run()).toEqual(augmented);
    const plain = withoutSeconds((await train(small_net(5), small, { epochs: 2, seed: 5 })).epochs);
    expect(augmented[0]!.loss).not.toBe(plain[0]!.loss);
    expect(augmented[1]!.val_acc).toBeGreaterThan(0.25); // learning (chance: 0.1), on harder inputs
  });

  it('trains the CNN on wasm too (needs the added Conv2DBackpropFilter kernel), without leaks', async () => {
    const counts: number[] = [];
    const history = await train(createCnn({ seed: 2 }), takeFirst(data.train, 320), {
      epochs: 2,
      batchSize: 32,
      validationSplit: 0,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(history.epochs[1]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(counts[1]).toBe(counts[0]);
  });

  it('feeds a model with a height x width x channels input (as Keras CNNs have) batches of that shape', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await train(model, takeFirst(data.train, 64), { epochs: 2, batchSize: 32, validationSplit: 0 });
    expect(history.trainer).toBe('tfjs');
    expect(history.epochs[1]!.loss).toBeLessThan(history.epochs[0]!.loss);
    model.dispose();
  });

  it('rejects bad options with BAD_ARGUMENT', async () => {
    for (const options of [{ epochs: -1 }, { batchSize: 0 }, { validationSplit: 1 }, { epochs: 1.5 }]) {
      await expect(train(small_net(), small, options)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    }
    await expect(train(small_net(), { ...small, count: 601 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('registerTrainer', () => {
  it('delegates epochs to the first trainer that accepts the model, and falls back otherwise', async () => {
    const seen: string[] = [];
    const offDeclining = registerTrainer({ name: 'declines', begin: () => 'not for this model' });
    const declined = await train(small_net(), small, { epochs: 1 });
    expect(declined.trainer).toBe('tfjs');
    expect(declined.trainerReason).toBe('declines: not for this model');

    const offAccepting = registerTrainer({
      name: 'batches',
      begin: ({ model, batchSize }) => {
        seen.push(`begin ${batchSize}`);
        return {
          async trainEpoch(plan: EpochPlan) {
            let loss = 0;
            let acc = 0;
            const split = { images: plan.images, labels: plan.labels, count: plan.labels.length, rows: 28, cols: 28 };
            for (let start = 0, b = 0; start < plan.order.length; start += plan.batchSize, b++) {
              const { x, y, labels } = gatherBatch(split, plan.order.subarray(start, start + plan.batchSize));
              const [l, a] = tf.tidy(() => [tf.tensor2d(x, [labels.length, 784]), tf.tensor2d(y, [labels.length, 10])]);
              const [bl, ba] = (await model.trainOnBatch(l!, a!)) as number[];
              tf.dispose([l!, a!]);
              loss += bl! * labels.length;
              acc += ba! * labels.length;
              plan.onBatchEnd(b, { loss: bl!, acc: ba!, size: labels.length });
            }
            seen.push(`epoch ${plan.epoch}`);
            return { loss: loss / plan.order.length, acc: acc / plan.order.length };
          },
          syncToModel: () => void seen.push('sync'),
          dispose: () => void seen.push('dispose'),
        };
      },
    });
    try {
      const history = await train(small_net(), small, { epochs: 2, batchSize: 64 });
      expect(history.trainer).toBe('batches');
      expect(history.trainerReason).toBeUndefined();
      expect(seen).toEqual(['begin 64', 'epoch 1', 'sync', 'epoch 2', 'sync', 'dispose']);
      expect(history.epochs[1]!.val_acc).toBeGreaterThan(0.5);
    } finally {
      offAccepting();
      offDeclining();
    }
  });
});
