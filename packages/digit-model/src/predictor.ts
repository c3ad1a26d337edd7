import type * as tf from '@tensorflow/tfjs';
import { Registry } from './registry';

/**
 * The hook through which a faster inference engine takes over `predictProbabilities`,
 * `predictClasses` and `evaluate` (and so `train()`'s validation), as `Trainer` does for training.
 *
 * Each call asks the registered predictors, newest first, to `begin` for the model; the first that
 * returns a session computes the probabilities, and tfjs runs the model when none does. Prediction
 * is synchronous (`predictProbabilities` returns an array), so `begin` and `predict` are too.
 */
export interface Predictor {
  /** Names it in messages, e.g. 'engine'. */
  readonly name: string;
  /**
   * A session when this predictor can run this model (with its current weights) here; otherwise a
   * short reason why not (e.g. 'layer lstm_1 (LSTM) is not supported by the digits engine').
   */
  begin(model: tf.LayersModel): PredictorSession | string;
}

export interface PredictorSession {
  /**
   * Probabilities (count x classes, row-major) for `count` samples of `input`: bytes (pixel values,
   * to be scaled by 1/255, as a split's images) or floats (already scaled). The input has the
   * model's input size per sample; `predict.ts` checks that before calling.
   */
  predict(input: Uint8Array | Float32Array, count: number): Float32Array;
}

const predictors = new Registry<Predictor>();

/** Registers a predictor; returns a function that unregisters it. */
export function registerPredictor(predictor: Predictor): () => void {
  return predictors.add(predictor);
}

/** The registered predictors, newest first. */
export function registeredPredictors(): readonly Predictor[] {
  return predictors.all;
}

/**
 * The session of the first registered predictor that accepts the model, or the reasons each one
 * gave (`name: reason`, '; '-separated; empty when none is registered).
 */
export function beginPrediction(model: tf.LayersModel): PredictorSession | string {
  const reasons: string[] = [];
  for (const predictor of predictors.all) {
    const session = predictor.begin(model);
    if (typeof session !== 'string') return session;
    reasons.push(`${predictor.name}: ${session}`);
  }
  return reasons.join('; ');
}
