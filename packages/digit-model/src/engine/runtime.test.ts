import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeFirst, type Dataset } from '@digits/mnist-data';
import { selectBackend } from '../backends/select';
import { createCnn, createMlp } from '../models';
import { predictProbabilities } from '../predict';
import { registeredPredictors } from '../predictor';
import { mnist } from '../test-utils/mnist';
import { train } from '../train';
import { registeredTrainers, type TrainerSession } from '../trainer';
import { EngineRuntime } from './runtime';

let data: Dataset;

beforeAll(async () => {
  data = await mnist();
});
afterAll(() => selectBackend('cpu'));

/** OS threads of this process (Linux), undefined elsewhere: each engine worker is one. */
function osThreads(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

/** Polls until `check` holds or a second has passed (a terminated worker's thread exits shortly after). */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return check();
}

/** The engine can neither train nor run this: train() must say why, tfjs trains it. */
function lstmModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ targetShape: [28, 28], inputShape: [784] }),
      tf.layers.lstm({ units: 4 }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('EngineRuntime', () => {
  it.each([
    ['an MLP', () => createMlp({ hiddenUnits: [32], seed: 2 })],
    ['a CNN (a compiled program)', () => createCnn({ filters: [4, 6], denseUnits: 8, seed: 2 })],
  ])('disposing frees its engines for %s: their worker threads exit and their memory can be collected', async (_name, build) => {
    const split = takeFirst(data.train, 64);
    const order = Uint32Array.from({ length: split.count }, (_, i) => i);
    const run = async (runtime: EngineRuntime, model: tf.LayersModel) => {
      const session = runtime.trainer.begin({ model, batchSize: 16, seed: 1, backend: tf.getBackend() }) as TrainerSession & { engineInfo: unknown };
      await session.trainEpoch({ epoch: 1, images: split.images, labels: split.labels, pixels: 784, order, batchSize: 16, onBatchEnd() {} });
      const detach = runtime.attach();
      predictProbabilities(model, split); // the runtime's inference engine
      detach();
      return session;
    };
    await tf.setBackend('cpu');
    const model = build();
    // a first runtime warms up whatever the process starts once (compiled modules, tfjs, timers)
    await new EngineRuntime({ threads: 2 }).dispose().then(async () => {
      const warm = new EngineRuntime({ threads: 2 });
      await run(warm, model);
      await warm.dispose();
    });
    const baseline = osThreads();

    const runtime = new EngineRuntime({ threads: 2 });
    const session = await run(runtime, model);
    const usage = runtime.usage();
    // two engines (the session's and the inference one), one worker each beside this thread
    expect(usage).toMatchObject({ sessions: 1, engines: 2, workers: 2 });
    expect(usage.bytes).toBeGreaterThan(2 * 100_000);
    if (baseline !== undefined) expect(osThreads()).toBeGreaterThanOrEqual(baseline + 2);
    const engine = new WeakRef(session.engineInfo as object);

    await runtime.dispose();
    expect(runtime.usage()).toEqual({ sessions: 0, engines: 0, workers: 0, bytes: 0 });
    if (baseline !== undefined) expect(await eventually(() => osThreads()! <= baseline)).toBe(true);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    expect(await eventually(() => (gc(), engine.deref() === undefined))).toBe(true);
    // a disposed runtime refuses work with a reason (tfjs then trains and predicts)
    expect(runtime.trainer.begin({ model, batchSize: 16, seed: 1, backend: 'cpu' })).toBe('the engine runtime was disposed');
    expect(runtime.predictor.begin(model)).toBe('the engine runtime was disposed');
    model.dispose();
  });

  it('declines a model whose workspaces would not fit in wasm memory at this batch size, saying how much it needs', async () => {
    const runtime = new EngineRuntime({ threads: 2 });
    const wide = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 256, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.conv2d({ filters: 256, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    wide.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const begin = (batchSize: number) => runtime.trainer.begin({ model: wide, batchSize, seed: 0, backend: tf.getBackend() });
    expect(begin(1024)).toMatch(/^the model needs \d+\.\d GiB of engine memory at batch 1024 \(at most 3 GiB\)$/);
    const session = begin(32);
    expect(typeof session).toBe('object'); // nothing is allocated before the first epoch
    await (session as TrainerSession).dispose();
    await runtime.dispose();
    wide.dispose();
  });

  it('attach registers its trainer and predictor until detached or disposed; configure applies to later sessions', async () => {
    const runtime = new EngineRuntime({ threads: 1 });
    expect(runtime.threads).toBe(1);
    runtime.configure({ threads: 2 });
    expect(runtime.threads).toBe(2);
    const detach = runtime.attach();
    expect(runtime.attached).toBe(true);
    expect(registeredTrainers()).toContain(runtime.trainer);
    expect(registeredPredictors()).toContain(runtime.predictor);
    detach();
    detach(); // idempotent: another registration is not removed
    expect(registeredTrainers()).not.toContain(runtime.trainer);
    runtime.attach();
    await runtime.dispose();
    expect(runtime.attached).toBe(false);
    expect(registeredTrainers()).not.toContain(runtime.trainer);
    expect(registeredPredictors()).not.toContain(runtime.predictor);
  });
});

describe('the engine backend in train()', () => {
  it('trains a supported model in the engine, and an unsupported one on tfjs with the reason in History', async () => {
    const choice = await selectBackend('engine');
    expect(choice.name).toBe('engine');
    const split = takeFirst(data.train, 256);
    const mlp = createMlp({ hiddenUnits: [32], seed: 3 });
    const supported = await train(mlp, split, { epochs: 1, batchSize: 64, validationSplit: 0 });
    expect(supported.trainer).toBe('engine');
    expect(supported.trainerReason).toBeUndefined();

    const lstm = lstmModel();
    let begun: { trainer: string; trainerReason?: string } | undefined;
    const before = tf.memory().numTensors;
    const unsupported = await train(lstm, takeFirst(split, 64), {
      epochs: 1,
      batchSize: 32,
      validationSplit: 0,
      onBegin: (history) => void (begun = { ...history }),
    });
    expect(unsupported.trainer).toBe('tfjs');
    // the first layer the engine does not run, named with its class
    expect(unsupported.trainerReason).toMatch(/^engine: layer \S+ \((Reshape|LSTM)\) .+/);
    expect(begun).toMatchObject({ trainer: 'tfjs', trainerReason: unsupported.trainerReason });
    // tfjs trained it: the epoch left the optimizer's variables, nothing per batch
    expect(unsupported.epochs).toHaveLength(1);
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(3 * lstm.trainableWeights.length + 1);
    mlp.dispose();
    lstm.dispose();
  });

  it('on another backend nothing is reported: no trainer was asked', async () => {
    await selectBackend('cpu');
    const history = await train(createMlp({ hiddenUnits: [8], seed: 1 }), takeFirst(data.train, 32), { epochs: 1, validationSplit: 0 });
    expect(history).toMatchObject({ trainer: 'tfjs' });
    expect(history.trainerReason).toBeUndefined();
  });
});
