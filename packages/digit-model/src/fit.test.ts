import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeFirst, type Split } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { EngineRuntime } from './engine/runtime';
import { modelFitProblem } from './fit';
import { createMlp } from './models';
import { evaluate, predictClasses, predictProbabilities } from './predict';
import { train } from './train';
import { mnist } from './test-utils/mnist';

// A model of the wrong shape, or one that computes NaN, is an error: never numbers that look like answers.
let test: Split;
let trainSplit: Split;
const models: tf.LayersModel[] = [];
const keep = <T extends tf.LayersModel>(m: T) => (models.push(m), m);

beforeAll(async () => {
  await selectBackend('wasm');
  const data = await mnist();
  test = takeFirst(data.test, 20);
  trainSplit = takeFirst(data.train, 64);
});
afterAll(() => models.forEach((m) => m.dispose()));

/** The shape of the shared keras1.2.2_tf_dense4x6.full.h5: 4 inputs, 6 outputs. */
const dense4x6 = () => keep(tf.sequential({ layers: [tf.layers.dense({ units: 6, inputShape: [4], activation: 'softmax' })] }));

const mismatch = (message: RegExp) => expect.objectContaining({ name: 'DigitsError', code: 'MODEL_SHAPE_MISMATCH', message: expect.stringMatching(message) });

describe('models that do not fit the data', () => {
  it('4 inputs / 6 outputs (the dense4x6 Keras file): predict, predictClasses, evaluate and train refuse, saying why', async () => {
    const model = dense4x6();
    const before = tf.memory().numTensors;
    const why = /the model takes inputs of shape \[4\] per sample, but the images are 28x28 \(784 pixels, one channel\)/;
    expect(() => predictProbabilities(model, test)).toThrow(mismatch(why));
    expect(() => predictProbabilities(model, new Float32Array(784))).toThrow(mismatch(why));
    expect(() => predictClasses(model, test)).toThrow(mismatch(why));
    await expect(evaluate(model, test)).rejects.toEqual(mismatch(why));
    await expect(train(model, trainSplit, { epochs: 1 })).rejects.toEqual(mismatch(why));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('784 inputs but 6 classes; 10 classes asked of a 10-output model is fine', () => {
    const six = keep(tf.sequential({ layers: [tf.layers.dense({ units: 6, inputShape: [784], activation: 'softmax' })] }));
    expect(() => predictProbabilities(six, test)).toThrow(mismatch(/outputs shape \[6\] per sample, but the data has 10 classes/));
    expect(predictProbabilities(six, new Float32Array(3 * 784), { classes: 6 })).toHaveLength(3 * 6);
    expect(() => predictProbabilities(createMlp({ hiddenUnits: [8] }), test, { classes: 3 })).toThrow(mismatch(/but the data has 3 classes/));
  });

  it('10x10 images for a 28x28 model, and image-shaped inputs', () => {
    const mlp = keep(createMlp({ hiddenUnits: [8] }));
    const small: Split = { images: new Uint8Array(5 * 100), labels: new Uint8Array(5), count: 5, rows: 10, cols: 10 };
    expect(modelFitProblem(mlp, small)).toMatch(/takes inputs of shape \[784\] per sample, but the images are 10x10/);
    expect(() => predictProbabilities(mlp, small)).toThrow(mismatch(/cannot classify 10x10 images/));
    const image = keep(tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10 })] }));
    expect(modelFitProblem(image, { rows: 28, cols: 28 })).toBeUndefined();
    expect(modelFitProblem(image, { rows: 28, cols: 27 })).toMatch(/\[28, 28, 1\]/);
    const rgb = keep(tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 3] }), tf.layers.dense({ units: 10 })] }));
    expect(modelFitProblem(rgb, { rows: 28, cols: 28 })).toMatch(/\[28, 28, 3\]/);
  });

  it('non-models are BAD_ARGUMENT', () => {
    expect(() => predictProbabilities({} as never, test)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => predictProbabilities(createMlp(), 'pixels' as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('non-finite outputs', () => {
  /** An MLP built in code with one NaN in its last bias: every sample's probabilities are NaN. */
  function nanMlp(): tf.LayersModel {
    const model = keep(createMlp({ hiddenUnits: [16], seed: 3 }));
    const last = model.layers.filter((l) => l.getClassName() === 'Dense').pop()!;
    const [kernel, bias] = last.getWeights();
    const values = bias!.dataSync().slice();
    values[2] = NaN;
    last.setWeights([kernel!, tf.tensor(values)]);
    return model;
  }

  it.each([['tfjs', false], ['the engine', true]])('predict and evaluate refuse NaN probabilities (%s)', async (_, engine) => {
    // what the engine backend does on activation: predictProbabilities & co. reach this runtime
    const runtime = new EngineRuntime();
    const detach = engine ? runtime.attach() : undefined;
    try {
      if (engine) expect(runtime.predictionProblem(nanMlp())).toBeUndefined();
      const model = nanMlp();
      const before = tf.memory().numTensors;
      const notFinite = expect.objectContaining({ code: 'PREDICTION_NOT_FINITE', message: expect.stringMatching(/computed NaN for sample 0/) });
      expect(() => predictProbabilities(model, test)).toThrow(notFinite);
      expect(() => predictClasses(model, test)).toThrow(notFinite);
      await expect(evaluate(model, test)).rejects.toEqual(notFinite);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      detach?.();
      await runtime.dispose();
    }
  });
});
