import * as tf from '@tensorflow/tfjs';
import type { Split } from '@digits/mnist-data';
import { DigitsError, augment, gatherBatch, shuffledIndices, createRng } from '@digits/mnist-data';
import { sampleSize } from './batches';
import { compileModel } from './models';
import type { AugmentOptions } from './train';
import { deriveSeed } from './seeds';
import { yieldToEventLoop } from './event-loop';

export interface OutlierExposureOptions {
  /** Passes over the digits; default 1 (a fine-tune of a trained model). */
  epochs?: number;
  /** Digit images per step; default 128. */
  batchSize?: number;
  /** Non-digit images per step, drawn at random from `outliers`; default 64. */
  outliersPerBatch?: number;
  /** Weight of the non-digit term against the digits' cross-entropy; default 0.5 (Hendrycks et al. 2019). */
  weight?: number;
  seed?: number;
  /** Train each epoch on a freshly augmented copy of the digits, as train() does. */
  augment?: boolean | AugmentOptions;
  onBatchEnd?(batch: number, batches: number, logs: { loss: number; outlierLoss: number }): void;
  signal?: AbortSignal;
}

export interface OutlierEpochLog {
  epoch: number;
  /** Mean cross-entropy on the digits. */
  loss: number;
  /** Mean cross-entropy of the non-digits against the uniform distribution (log 10 = 2.303 is the floor). */
  outlierLoss: number;
  seconds: number;
}

const EPSILON = 1e-7;
const YIELD_EVERY_MS = 50;

/**
 * Outlier exposure: trains the model on digits (cross-entropy, as usual) and, in the same steps, on
 * images that are not digits with the uniform distribution as the target, so that a letter or a
 * scribble gets flat probabilities (low confidence) instead of "98% a 5". The model keeps its ten
 * outputs. `outliers` holds n*784 pixels (0..1, white ink on black, like preprocessImage's output).
 * Uses the model's compiled optimizer (compiles like the tutorial when it has none).
 */
export async function trainWithOutliers(
  model: tf.LayersModel,
  digits: Split,
  outliers: Float32Array,
  options: OutlierExposureOptions = {},
): Promise<OutlierEpochLog[]> {
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 128;
  const perBatch = options.outliersPerBatch ?? 64;
  const weight = options.weight ?? 0.5;
  const seed = options.seed ?? 0;
  sampleSize(digits, 'training data');
  const pixels = digits.rows * digits.cols;
  const outlierCount = outliers.length / pixels;
  if (!Number.isInteger(outlierCount) || outlierCount === 0) {
    throw new DigitsError('BAD_ARGUMENT', `outliers must hold whole ${pixels}-pixel images, got ${outliers.length} values`);
  }
  for (const [name, value] of [['epochs', epochs], ['batchSize', batchSize], ['outliersPerBatch', perBatch]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new DigitsError('BAD_ARGUMENT', `${name} must be an integer >= 1, got ${value}`);
  }
  if (!(weight >= 0)) throw new DigitsError('BAD_ARGUMENT', `weight must be >= 0, got ${weight}`);
  if (!model.optimizer) compileModel(model);
  const optimizer = model.optimizer;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const pick = createRng(deriveSeed(seed, 7));
  const shape = (model.inputs[0]?.shape ?? []).slice(1).map((d) => d ?? 1);
  const logs: OutlierEpochLog[] = [];
  let lastYield = performance.now();

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    const split = options.augment
      ? augment(digits, { ...(options.augment === true ? {} : options.augment), seed: deriveSeed(seed, 2, epoch) })
      : digits;
    const order = shuffledIndices(split.count, deriveSeed(seed, 1, epoch));
    const batches = Math.ceil(split.count / batchSize);
    let lossSum = 0;
    let outlierSum = 0;
    for (let batch = 0; batch < batches; batch++) {
      const { x, y, labels } = gatherBatch(split, order.subarray(batch * batchSize, (batch + 1) * batchSize));
      const size = labels.length;
      const ox = new Float32Array(perBatch * pixels);
      for (let i = 0; i < perBatch; i++) {
        const k = Math.floor(pick() * outlierCount);
        ox.set(outliers.subarray(k * pixels, (k + 1) * pixels), i * pixels);
      }
      const [digitLoss, outlierLoss] = tf.tidy(() => {
        const xs = tf.tensor(x, [size, ...shape]);
        const ys = tf.tensor2d(y, [size, y.length / size]);
        const os = tf.tensor(ox, [perBatch, ...shape]);
        let parts: tf.Scalar[] = [];
        const total = optimizer.minimize(
          () => {
            const p = (model.apply(tf.concat([xs, os]), { training: true }) as tf.Tensor).clipByValue(EPSILON, 1 - EPSILON);
            const logP = tf.log(p);
            const digitTerm = tf.neg(tf.mean(tf.sum(tf.mul(ys, logP.slice([0, 0], [size, -1])), 1)));
            // Cross-entropy against uniform: -(1/10) * sum(log p) per image.
            const outlierTerm = tf.neg(tf.mean(tf.mean(logP.slice([size, 0], [perBatch, -1]), 1)));
            parts = [tf.keep(digitTerm), tf.keep(outlierTerm)] as tf.Scalar[];
            return tf.add(digitTerm, tf.mul(outlierTerm, weight)) as tf.Scalar;
          },
          true,
          variables,
        );
        total?.dispose();
        return parts;
      }) as tf.Scalar[];
      const values = [digitLoss!.dataSync()[0]!, outlierLoss!.dataSync()[0]!];
      tf.dispose([digitLoss!, outlierLoss!]);
      if (!values.every(Number.isFinite)) throw new DigitsError('BAD_ARGUMENT', `training diverged at batch ${batch + 1} (loss ${values.join(', ')})`);
      lossSum += values[0]! * size;
      outlierSum += values[1]! * size;
      options.onBatchEnd?.(batch, batches, { loss: values[0]!, outlierLoss: values[1]! });
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      if (options.signal?.aborted) return logs;
    }
    logs.push({ epoch, loss: lossSum / split.count, outlierLoss: outlierSum / split.count, seconds: (performance.now() - started) / 1000 });
  }
  return logs;
}
