import * as tf from '@tensorflow/tfjs';
import type { Split } from '@digits/mnist-data';
import { assertLayersModel, DigitsError, augment, gatherBatch, shuffledIndices, splitValidation, type AugmentOptions as SplitAugmentOptions } from '@digits/mnist-data';
import { sampleSize } from './batches';
import { assertModelFits } from './fit';
import { hasSparseLabels } from './losses';
import { compileModel } from './models';
import { evaluate, sampleShape } from './predict';
import { deriveSeed } from './seeds';
import { beginTraining, type EpochPlan } from './trainer';
import { yieldToEventLoop } from './event-loop';

export interface EpochLog {
  /** 1-based: the first epoch is 1; resume with `initialEpoch` = the last log's epoch. */
  epoch: number;
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
}

export interface History {
  epochs: EpochLog[];
  /** What trained the batches: 'tfjs' (trainOnBatch) or a registered trainer's name. */
  trainer: string;
  /**
   * When tfjs trained although trainers are registered: why each declined, `name: reason`,
   * '; '-separated (e.g. 'engine: layer lstm_1 (LSTM) is not supported by the digits engine').
   */
  trainerReason?: string;
  /** Why training ended before `epochs`, if it did. */
  stopped?: 'early-stopping' | 'aborted';
}

/** mnist-data's augmentation ranges; train() supplies a fresh seed each epoch. */
export type AugmentOptions = Omit<SplitAugmentOptions, 'seed'>;

export interface TrainOptions {
  /** Train until this epoch number (Keras semantics with initialEpoch); default 20. */
  epochs?: number;
  batchSize?: number;
  /** Seeds the per-epoch shuffles, the validation split and augmentation; default 0. */
  seed?: number;
  /** Fraction of the training data held out for validation when no validationData; default 0.1; 0 disables. */
  validationSplit?: number;
  /** Validate on this split instead (e.g. the test set, when asked for). */
  validationData?: Split;
  /** Epochs already done (resume); default: the last epoch of `history`, else 0. */
  initialEpoch?: number;
  /** The history of the run being resumed; new epochs are appended to a copy. */
  history?: EpochLog[];
  /** Train each epoch on a freshly augmented copy of the training split (seeded per epoch). */
  augment?: boolean | AugmentOptions;
  /** Called once before the first epoch with the history so far; its `trainer` and `trainerReason` say what trains. */
  onBegin?(history: History): void | Promise<void>;
  onEpochEnd?(log: EpochLog, model: tf.LayersModel): void | Promise<void>;
  onBatchEnd?(batch: number, batches: number, logs: { loss: number; acc: number; size: number }): void;
  earlyStopping?: { monitor?: 'val_loss' | 'val_acc' | 'loss' | 'acc'; patience: number; minDelta?: number };
  /** Called after each epoch (after onEpochEnd) with the model, the epoch number and the history so far. */
  checkpoint?(model: tf.LayersModel, epoch: number, history: History): void | Promise<void>;
  /** Aborting stops after the current batch; the unfinished epoch is not recorded. */
  signal?: AbortSignal;
}

/** Event-loop yields during an epoch, so that timers and abort signals get through. */
const YIELD_EVERY_MS = 50;

/**
 * Trains like Keras's `fit`: shuffled mini-batches, validation after each epoch, callbacks, early
 * stopping, checkpoints, resumable. Batches are gathered from the raw split per step, so no large
 * tensor is ever sliced.
 */
export async function train(model: tf.LayersModel, data: Split, options: TrainOptions = {}): Promise<History> {
  assertLayersModel(model, 'train: model');
  const epochs = options.epochs ?? 20;
  const batchSize = options.batchSize ?? 128;
  const seed = options.seed ?? 0;
  const previous = options.history ?? [];
  const initialEpoch = options.initialEpoch ?? previous[previous.length - 1]?.epoch ?? 0;
  checkInteger('epochs', epochs, 0);
  checkInteger('batchSize', batchSize, 1);
  checkInteger('initialEpoch', initialEpoch, 0);
  const { trainSplit, validation } = holdOut(data, options, seed);
  // train() one-hot encodes 10 classes (gatherBatch's default)
  assertModelFits(model, { rows: data.rows, cols: data.cols, classes: 10 }, `the ${data.rows}x${data.cols} training images`);
  if (trainSplit.count === 0) throw new DigitsError('BAD_ARGUMENT', 'no training samples left');
  if (!model.optimizer) compileModel(model);

  const history: History = { epochs: [...previous], trainer: 'tfjs' };
  const stopper = earlyStopper(options, previous, validation !== undefined);
  const begun = await beginTraining({ model, batchSize, seed, backend: tf.getBackend() });
  const session = typeof begun === 'string' ? undefined : begun;
  if (session) history.trainer = session.name;
  else if (typeof begun === 'string' && begun) history.trainerReason = begun;
  try {
    await options.onBegin?.(history);
    for (let epoch = initialEpoch + 1; epoch <= epochs; epoch++) {
      if (options.signal?.aborted) {
        history.stopped = 'aborted';
        break;
      }
      const started = performance.now();
      const split = options.augment
        ? augment(trainSplit, { ...(options.augment === true ? {} : options.augment), seed: deriveSeed(seed, 2, epoch) })
        : trainSplit;
      const plan: EpochPlan = {
        epoch,
        images: split.images,
        labels: split.labels,
        pixels: split.rows * split.cols,
        order: shuffledIndices(split.count, deriveSeed(seed, 1, epoch)),
        batchSize,
        onBatchEnd: (batch, logs) => options.onBatchEnd?.(batch, Math.ceil(split.count / batchSize), logs),
        ...(options.signal ? { signal: options.signal } : {}),
      };
      const result = session ? await session.session.trainEpoch(plan) : await trainEpochWithTfjs(model, split, plan);
      if (session) await session.session.syncToModel();
      if (options.signal?.aborted) {
        history.stopped = 'aborted';
        break;
      }
      const log: EpochLog = { epoch, loss: result.loss, acc: result.acc, seconds: 0 };
      if (validation) {
        const v = await evaluate(model, validation);
        log.val_loss = v.loss;
        log.val_acc = v.accuracy;
      }
      log.seconds = (performance.now() - started) / 1000;
      history.epochs.push(log);
      await options.onEpochEnd?.(log, model);
      await options.checkpoint?.(model, epoch, history);
      if (stopper?.(log)) {
        history.stopped = 'early-stopping';
        break;
      }
    }
  } finally {
    await session?.session.dispose();
  }
  return history;
}

async function trainEpochWithTfjs(
  model: tf.LayersModel,
  split: Split,
  plan: EpochPlan,
): Promise<{ loss: number; acc: number }> {
  const n = plan.order.length;
  const sparse = hasSparseLabels(model);
  let lossSum = 0;
  let accSum = 0;
  let lastYield = performance.now();
  for (let batch = 0, start = 0; start < n; batch++, start += plan.batchSize) {
    const { x, y, labels } = gatherBatch(split, plan.order.subarray(start, start + plan.batchSize));
    const size = labels.length;
    // the model's own input shape: flat, or height x width x channels (e.g. an imported Keras CNN)
    const xs = tf.tensor(x, [size, ...sampleShape(model)]);
    const ys = sparse ? tf.tensor2d(Float32Array.from(labels), [size, 1]) : tf.tensor2d(y, [size, y.length / size]);
    let values: number | number[];
    try {
      values = await model.trainOnBatch(xs, ys);
    } finally {
      xs.dispose();
      ys.dispose();
    }
    const [loss = NaN, acc = NaN] = Array.isArray(values) ? values : [values];
    lossSum += loss * size;
    accSum += acc * size;
    plan.onBatchEnd(batch, { loss, acc, size });
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    if (plan.signal?.aborted) break;
  }
  return { loss: lossSum / n, acc: accSum / n };
}

function holdOut(data: Split, options: TrainOptions, seed: number): { trainSplit: Split; validation?: Split } {
  sampleSize(data, 'training data');
  if (options.validationData) {
    sampleSize(options.validationData, 'validation data');
    return { trainSplit: data, validation: options.validationData };
  }
  const fraction = options.validationSplit ?? 0.1;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new DigitsError('BAD_ARGUMENT', `validationSplit must be in [0, 1), got ${fraction}`);
  }
  if (fraction === 0) return { trainSplit: data };
  const { train, validation } = splitValidation(data, fraction, deriveSeed(seed, 3));
  return { trainSplit: train, validation };
}

/** Keras EarlyStopping: stop when the monitored value has not improved by minDelta for `patience` epochs. */
function earlyStopper(
  options: TrainOptions,
  previous: EpochLog[],
  hasValidation: boolean,
): ((log: EpochLog) => boolean) | undefined {
  const config = options.earlyStopping;
  if (!config) return undefined;
  checkInteger('earlyStopping.patience', config.patience, 0);
  const monitor = config.monitor ?? (hasValidation ? 'val_loss' : 'loss');
  if (monitor.startsWith('val_') && !hasValidation) {
    throw new DigitsError('BAD_ARGUMENT', `earlyStopping monitors ${monitor}, but there is no validation data`);
  }
  const sign = monitor.endsWith('loss') ? -1 : 1;
  const minDelta = Math.abs(config.minDelta ?? 0);
  let best = -Infinity;
  let wait = 0;
  const observe = (log: EpochLog): boolean => {
    const value = log[monitor];
    if (value === undefined) return false;
    if (sign * value - minDelta > best) {
      best = sign * value;
      wait = 0;
      return false;
    }
    wait++;
    return wait >= config.patience;
  };
  previous.forEach(observe);
  wait = 0;
  return observe;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new DigitsError('BAD_ARGUMENT', `${name} must be an integer >= ${min}, got ${value}`);
  }
}
