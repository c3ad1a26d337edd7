import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawingPixels, drawnDigits, nonDigitDrawings, takeFirst } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { calibrateNotSure, notSureRate, readDigits, readProbabilities, NOT_SURE_THRESHOLD } from './uncertainty';
import { mnist } from './test-utils/mnist';

// The model the web page ships (apps/web/scripts/build-model.ts), read as plain tfjs artifacts:
// @digits/model does not depend on @digits/model-io.
const SHIPPED = fileURLToPath(new URL('../../../apps/web/public/models/default/', import.meta.url));

async function shippedModel(): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(resolve(SHIPPED, 'model.json'), 'utf8'));
  const weights = readFileSync(resolve(SHIPPED, 'weights.bin'));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
}

describe('readProbabilities', () => {
  it('reads the top digit, runner-up, margin and normalised entropy', () => {
    const r = readProbabilities([0.05, 0.7, 0, 0.2, 0.05, 0, 0, 0, 0, 0]);
    expect([r.digit, r.runnerUp]).toEqual([1, 3]);
    expect(r.probability).toBeCloseTo(0.7, 6);
    expect(r.margin).toBeCloseTo(0.5, 6);
    const entropy = -(2 * 0.05 * Math.log(0.05) + 0.7 * Math.log(0.7) + 0.2 * Math.log(0.2)) / Math.log(10);
    expect(r.entropy).toBeCloseTo(entropy, 6);
    expect([r.score, r.notSure]).toEqual([r.probability, false]); // default: probability < 0.544
    const byMargin = readProbabilities([0.05, 0.7, 0, 0.2, 0.05, 0, 0, 0, 0, 0], { measure: 'margin', below: 0.6 });
    expect([byMargin.score, byMargin.notSure]).toEqual([byMargin.margin, true]);
    expect(readProbabilities([0.4, 0.35, 0.25]).notSure).toBe(true);
    expect(readProbabilities(Array(10).fill(0.1))).toMatchObject({ entropy: expect.closeTo(1, 6), margin: 0, notSure: true });
    const sure = readProbabilities([0, 0, 0, 0, 0, 0, 0, 0, 0.01, 0.99]);
    expect(sure).toMatchObject({ digit: 9, runnerUp: 8, notSure: false });
    expect(readProbabilities([0.3, 0.7], { measure: 'probability', below: 0.6 }).notSure).toBe(false);
  });

  it('refuses outputs that are not probabilities instead of reading them', () => {
    expect(() => readProbabilities([NaN, 0.5, 0.5])).toThrow(/class 0 has probability NaN/);
    expect(() => readProbabilities([2, 3, 5])).toThrow(/sum to 10\.0000, not 1/);
    expect(() => readProbabilities([1])).toThrow(/at least 2 classes/);
  });
});

describe('"not sure" with the shipped CNN, on sets it was neither trained nor calibrated on', () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await shippedModel();
  });

  it('flags >= 90% of generated non-digits and <= 3% of drawn digits and MNIST test digits', async () => {
    const before = tf.memory().numTensors;
    // Seeds 41/42: not the outlier-training seed (1000), not the calibration (21/22) or report (31/32) seeds.
    const digits = readDigits(model, drawingPixels(drawnDigits({ seed: 41, perDigit: 20 }), 84));
    const nonDigits = readDigits(model, drawingPixels(nonDigitDrawings({ seed: 42, count: 200 }), 84));
    const test = readDigits(model, takeFirst((await mnist()).test, 1000));
    expect(tf.memory().numTensors).toBe(before);
    expect(notSureRate(digits)).toBeLessThanOrEqual(0.03);
    expect(notSureRate(test)).toBeLessThanOrEqual(0.03);
    expect(notSureRate(nonDigits)).toBeGreaterThanOrEqual(0.9);
    expect(digits[0]!.threshold).toEqual(NOT_SURE_THRESHOLD);
  });

  it('calibrates a threshold that keeps its promise on another set', () => {
    const calibration = calibrateNotSure(
      readDigits(model, drawingPixels(drawnDigits({ seed: 43, perDigit: 20 }), 84)),
      readDigits(model, drawingPixels(nonDigitDrawings({ seed: 44, count: 200 }), 84)),
      0.03,
    );
    expect(calibration.map((c) => c.threshold.measure).sort()).toEqual(['certainty', 'margin', 'probability']);
    const best = calibration[0]!;
    expect(best.digitsFlagged).toBeLessThanOrEqual(0.03);
    expect(calibration[1]!.nonDigitsFlagged).toBeLessThanOrEqual(best.nonDigitsFlagged);
    const heldOut = readDigits(model, drawingPixels(drawnDigits({ seed: 45, perDigit: 20 }), 84), best.threshold);
    expect(notSureRate(heldOut)).toBeLessThanOrEqual(0.05);
  });
});
