import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawingPixels, nonDigitDrawings, takeFirst, type Split } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { createMlp } from './models';
import { evaluate, predictProbabilities } from './predict';
import { trainWithOutliers } from './outlier-exposure';
import { train } from './train';
import { mnist } from './test-utils/mnist';

let digits: Split;
let test: Split;
let outliers: Float32Array;
let heldOut: Float32Array;

beforeAll(async () => {
  await selectBackend('wasm');
  const data = await mnist();
  digits = takeFirst(data.train, 2000);
  test = takeFirst(data.test, 500);
  outliers = drawingPixels(nonDigitDrawings({ seed: 3, count: 300 }), 56);
  heldOut = drawingPixels(nonDigitDrawings({ seed: 4, count: 100 }), 56);
});

/** Mean top probability over n*784 images. */
function meanTop(model: tf.LayersModel, x: Float32Array): number {
  const p = predictProbabilities(model, x);
  let sum = 0;
  for (let i = 0; i < p.length; i += 10) sum += Math.max(...p.subarray(i, i + 10));
  return sum / (p.length / 10);
}

describe('trainWithOutliers', () => {
  it('teaches flat probabilities on unseen non-digits and keeps the digits, leaking no tensors', async () => {
    const plain = createMlp({ seed: 3, hiddenUnits: [128] });
    const exposed = createMlp({ seed: 3, hiddenUnits: [128] });
    for (const model of [plain, exposed]) await train(model, digits, { epochs: 4, batchSize: 32, validationSplit: 0, seed: 1 });
    const before = tf.memory().numTensors;
    const logs = await trainWithOutliers(exposed, digits, outliers, { epochs: 2, batchSize: 32, outliersPerBatch: 16, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    await train(plain, digits, { epochs: 6, batchSize: 32, validationSplit: 0, seed: 2, initialEpoch: 4 });
    expect(logs.map((l) => l.epoch)).toEqual([1, 2]);
    // the non-digit term approaches its floor, log(10)
    expect(logs[1]!.outlierLoss).toBeLessThan(logs[0]!.outlierLoss);
    expect(logs[1]!.outlierLoss).toBeLessThan(Math.log(10) + 0.5);
    const plainTop = meanTop(plain, heldOut);
    const exposedTop = meanTop(exposed, heldOut);
    expect(exposedTop).toBeLessThan(plainTop - 0.15);
    expect((await evaluate(exposed, test)).accuracy).toBeGreaterThan((await evaluate(plain, test)).accuracy - 0.03);
  });

  it('rejects outliers that are not whole images', async () => {
    await expect(trainWithOutliers(createMlp({ hiddenUnits: [8] }), takeFirst(digits, 10), new Float32Array(100))).rejects.toThrow(/whole 784-pixel images/);
  });
});
