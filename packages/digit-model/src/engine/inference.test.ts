import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalize, takeFirst, type Dataset } from '@digits/mnist-data';
import { createCnn, createMlp } from '../models';
import { evaluate, predictClasses, predictProbabilities } from '../predict';
import { train } from '../train';
import { mnist } from '../test-utils/mnist';
import { EngineRuntime } from './runtime';

let data: Dataset;
let model: tf.Sequential;
const runtime = new EngineRuntime();
let detach: (() => void) | undefined;
/** What the engine backend does on activation: predictProbabilities & co. reach this runtime. */
const enableEnginePrediction = () => void (detach ??= runtime.attach());

beforeAll(async () => {
  await tf.setBackend('cpu');
  data = await mnist();
  // briefly trained (on tfjs), so that the hidden layers are as sparse as a real model's
  model = createMlp({ hiddenUnits: [128, 64], seed: 5 });
  await train(model, takeFirst(data.train, 1000), { epochs: 1, batchSize: 50, validationSplit: 0 });
});

afterEach(async () => {
  detach?.();
  detach = undefined;
  await runtime.release();
  runtime.configure({ threads: undefined });
});
afterAll(() => runtime.dispose());

/** Why prediction would not run in the engine: not attached (tfjs predicts), or the runtime's reason. */
const enginePredictionProblem = (m: tf.LayersModel) => (runtime.attached ? runtime.predictionProblem(m) : 'not attached');

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('prediction in the engine', () => {
  // 2,100 images: two full chunks of 1,024 and a partial one
  const count = 2100;

  it.each([1, 2])('gives the probabilities tfjs gives (to 1e-5) with %i thread(s), from bytes and from floats', (threads) => {
    const test = takeFirst(data.test, count);
    const reference = predictProbabilities(model, test);
    runtime.configure({ threads });
    enableEnginePrediction();
    expect(enginePredictionProblem(model)).toBeUndefined();
    const before = tf.memory().numTensors;
    const fromBytes = predictProbabilities(model, test);
    const fromFloats = predictProbabilities(model, normalize(test.images));
    expect(tf.memory().numTensors).toBe(before);
    expect(enginePredictionProblem(model)).toBeUndefined(); // it ran: nothing made it give up
    expect(runtime.usage()).toMatchObject({ engines: 1, sessions: 0 });
    expect(maxAbsDiff(fromBytes, reference)).toBeLessThan(1e-5);
    expect(maxAbsDiff(fromFloats, reference)).toBeLessThan(1e-5);
    // the classes agree wherever the top two probabilities are not a near tie
    expect(predictClasses(model, test)).toEqual(Int32Array.from(argmax(reference)));
  });

  it('evaluates as tfjs does and sees weights changed after the last call', async () => {
    const test = takeFirst(data.test, 500);
    const other = createMlp({ hiddenUnits: [128, 64], seed: 6 });
    const reference = await evaluate(other, test);
    enableEnginePrediction();
    const first = await evaluate(model, test);
    other.layers.forEach((layer, i) => model.layers[i]!.setWeights(layer.getWeights()));
    const after = await evaluate(model, test);
    expect(after.accuracy).toBe(reference.accuracy);
    expect(after.loss).toBeCloseTo(reference.loss, 5);
    expect(first.accuracy).not.toBe(after.accuracy);
  });

  it('predicts one sample, and a model with odd widths (padded units, partial panels)', () => {
    const odd = createMlp({ hiddenUnits: [30, 20, 7], seed: 9 });
    const test = takeFirst(data.test, 3);
    const reference = predictProbabilities(odd, test);
    enableEnginePrediction();
    expect(maxAbsDiff(predictProbabilities(odd, takeFirst(test, 1)), reference.subarray(0, 10))).toBeLessThan(1e-5);
    expect(maxAbsDiff(predictProbabilities(odd, test), reference)).toBeLessThan(1e-5);
  });

  it.each([1, 2])('predicts a CNN and a batchnorm CNN as tfjs does (to 1e-5) with %i thread(s), in chunks, leaking nothing', async (threads) => {
    const cnn = createCnn({ filters: [8, 6], denseUnits: 16, seed: 4 });
    await train(cnn, takeFirst(data.train, 256), { epochs: 1, batchSize: 64, validationSplit: 0 }); // on tfjs: not attached yet
    const bn = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 5, kernelSize: 5, padding: 'same', activation: 'relu' }),
        tf.layers.batchNormalization({ movingMeanInitializer: tf.initializers.randomUniform({ minval: 0, maxval: 1, seed: 1 }), movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 2 }) }),
        tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const test = takeFirst(data.test, 300); // a chunk of 256 and a partial one
    const references = [predictProbabilities(cnn, test), predictProbabilities(bn, test)];
    runtime.configure({ threads });
    enableEnginePrediction();
    [cnn, bn].forEach((m, i) => {
      expect(enginePredictionProblem(m)).toBeUndefined();
      const before = tf.memory().numTensors;
      const probs = predictProbabilities(m, test);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxAbsDiff(probs, references[i]!)).toBeLessThan(1e-5);
    });
    cnn.dispose();
    bn.dispose();
  });

  it('compiles a model once, and again when its layers changed (a Sequential can pop one)', () => {
    const cnn = createCnn({ filters: [4, 4], denseUnits: 8, seed: 7 });
    const test = takeFirst(data.test, 20);
    enableEnginePrediction();
    predictProbabilities(cnn, test); // compiled, and kept for the next call
    cnn.pop();
    cnn.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
    const inEngine = predictProbabilities(cnn, test);
    expect(enginePredictionProblem(cnn)).toBeUndefined();
    detach?.();
    detach = undefined;
    expect(maxAbsDiff(inEngine, predictProbabilities(cnn, test))).toBeLessThan(1e-5); // tfjs now
    cnn.dispose();
  });

  it('leaves what it cannot run to tfjs, and says why', () => {
    enableEnginePrediction();
    const lstm = tf.sequential({
      layers: [tf.layers.reshape({ targetShape: [28, 28], inputShape: [784] }), tf.layers.lstm({ units: 4 }), tf.layers.dense({ units: 10, activation: 'softmax' })],
    });
    expect(runtime.predictionProblem(lstm)).toMatch(/^layer \S+ \(LSTM\) is not supported by the digits engine$/);
    const test = takeFirst(data.test, 5);
    expect(predictProbabilities(lstm, test)).toHaveLength(50);
    lstm.dispose();
    // a wrong input size still gets tfjs's clear error
    expect(() => predictProbabilities(model, new Float32Array(100))).toThrow(/784/);
  });
});

function argmax(probs: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < probs.length; i += 10) {
    let best = i;
    for (let c = i + 1; c < i + 10; c++) if (probs[c]! > probs[best]!) best = c;
    out.push(best - i);
  }
  return out;
}
