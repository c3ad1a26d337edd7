import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalize, takeFirst, type Split } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { createMlp } from './models';
import { classifyResults, confusionMatrix, evaluate, predictClasses, predictProbabilities } from './predict';
import { registerPredictor } from './predictor';
import { train } from './train';
import { mnist } from './test-utils/mnist';

let test: Split;
let model: tf.Sequential;

beforeAll(async () => {
  await selectBackend('wasm');
  const data = await mnist();
  test = takeFirst(data.test, 3000);
  model = createMlp({ seed: 11 });
  // a briefly trained model, so that predictions are neither uniform nor all right
  await train(model, takeFirst(data.train, 1000), { epochs: 1, batchSize: 32, validationSplit: 0 });
});

const argmaxOf = (row: Float32Array) => row.indexOf(Math.max(...row));

describe('predictProbabilities', () => {
  it('asks the registered predictors, newest first, and runs the model on tfjs when each declines', async () => {
    const calls: string[] = [];
    const offDeclining = registerPredictor({ name: 'declines', begin: () => (calls.push('declines'), 'not this model') });
    // the first image's probabilities as tfjs gives them, once for each of the 3 images, so the source is visible
    const first = predictProbabilities(model, takeFirst(test, 1));
    const offAccepting = registerPredictor({
      name: 'first-row',
      begin: (m) => {
        calls.push('first-row');
        return m === model ? { predict: (input, count) => (calls.push(`predict ${input.length}/${count}`), new Float32Array(Array.from({ length: count }, () => [...first]).flat())) } : 'another model';
      },
    });
    try {
      // 'declines' was asked for `first`; 'first-row', newer, answers now, so 'declines' is not asked
      const three = takeFirst(test, 3);
      expect(predictProbabilities(model, three)).toEqual(Float32Array.from([...first, ...first, ...first]));
      // the split's bytes go through as they are (784 per image), with the sample count
      expect(calls).toEqual(['declines', 'first-row', 'predict 2352/3']);
      // evaluate goes through it too: three copies of image 0's prediction, scored against three labels
      const scored = await evaluate(model, three);
      expect(scored.accuracy * 3).toBe([0, 1, 2].filter((i) => three.labels[i] === argmaxOf(first)).length);
      offAccepting();
      const fromTfjs = predictProbabilities(model, three);
      expect(fromTfjs.subarray(0, 10)).toEqual(first);
      expect(fromTfjs.subarray(10, 20)).not.toEqual(first);
    } finally {
      offAccepting();
      offDeclining();
    }
  });

  it('gives one probability row per image, equal to model.predict, for a Split or 784-vectors', () => {
    const probs = predictProbabilities(model, test);
    expect(probs.length).toBe(3000 * 10);
    for (let i = 0; i < 3000; i += 250) {
      const sum = probs.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
    expect(predictProbabilities(model, normalize(test.images))).toEqual(probs);
    const reference = tf.tidy(() => (model.predict(tf.tensor2d(normalize(test.images.subarray(0, 5 * 784)), [5, 784])) as tf.Tensor).dataSync());
    for (let i = 0; i < 50; i++) expect(probs[i]).toBeCloseTo(reference[i]!, 5);
  });

  it('feeds a model with image-shaped input ([28, 28, 1], as Keras convnets take) the same pixels', () => {
    // the same trained MLP behind a Flatten: it shares the MLP's weights
    const image = tf.input({ shape: [28, 28, 1] });
    const convnet = tf.model({ inputs: image, outputs: model.apply(tf.layers.flatten().apply(image)) as tf.SymbolicTensor });
    expect(predictProbabilities(convnet, takeFirst(test, 20))).toEqual(predictProbabilities(model, takeFirst(test, 20)));
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    predictProbabilities(model, test);
    predictClasses(model, test);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects data of the wrong size', () => {
    expect(() => predictProbabilities(model, new Float32Array(785))).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    const wrong = { ...takeFirst(test, 4), rows: 27 };
    expect(() => predictProbabilities(model, wrong)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('evaluate', () => {
  it("matches tfjs's own model.evaluate (loss and accuracy) and leaks nothing", async () => {
    const before = tf.memory().numTensors;
    const ours = await evaluate(model, test);
    expect(tf.memory().numTensors).toBe(before);
    const [loss, acc] = tf.tidy(() => {
      const x = tf.tensor2d(normalize(test.images), [test.count, 784]);
      const y = tf.oneHot(tf.tensor1d(test.labels, 'int32'), 10);
      return (model.evaluate(x, y, { batchSize: 3000 }) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
    });
    expect(ours.loss).toBeCloseTo(loss!, 4);
    expect(ours.accuracy).toBeCloseTo(acc!, 6);
    expect(ours.accuracy).toBeGreaterThan(0.7);
    expect(ours.accuracy).toBeLessThan(1);
  });
});

describe('predictClasses, confusionMatrix, classifyResults', () => {
  it('agree with each other and with evaluate', async () => {
    const predicted = predictClasses(model, test);
    const probs = predictProbabilities(model, test);
    for (let i = 0; i < 100; i++) {
      const row = Array.from(probs.subarray(i * 10, i * 10 + 10));
      expect(predicted[i]).toBe(row.indexOf(Math.max(...row)));
    }
    const { correct, incorrect } = classifyResults(test.labels, predicted);
    expect(correct.length + incorrect.length).toBe(3000);
    expect(correct.every((i) => test.labels[i] === predicted[i])).toBe(true);
    expect(incorrect.every((i) => test.labels[i] !== predicted[i])).toBe(true);
    expect(correct.length / 3000).toBeCloseTo((await evaluate(model, test)).accuracy, 10);

    const matrix = confusionMatrix(test.labels, predicted);
    const rowSums = matrix.map((row) => row.reduce((a, b) => a + b, 0));
    const trueCounts = Array.from({ length: 10 }, (_, c) => test.labels.filter((l) => l === c).length);
    expect(rowSums).toEqual(trueCounts);
    expect(matrix.reduce((s, row, c) => s + row[c]!, 0)).toBe(correct.length);
  });

  it('reject mismatched lengths and labels outside the classes', () => {
    expect(() => confusionMatrix([1, 2], [1])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => confusionMatrix([1, 12], [1, 2])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => classifyResults([1, 2, 3], [1, 2])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(confusionMatrix([0, 1, 1], [0, 1, 0], 2)).toEqual([[1, 0], [1, 1]]);
  });
});
