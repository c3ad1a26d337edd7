import type * as tf from '@tensorflow/tfjs';
import type { Split } from '@digits/mnist-data';
import { DigitsError } from '@digits/mnist-data';
import { predictProbabilities } from './predict';

/** Which number decides "not sure": the top probability, the top-2 margin, or 1 - normalised entropy. */
export type UncertaintyMeasure = 'probability' | 'margin' | 'certainty';

/** A reading is "not sure" when its `measure` is below `below`. */
export interface NotSureThreshold {
  measure: UncertaintyMeasure;
  below: number;
}

/**
 * The default: not sure when the top probability is below 0.544. Calibrated (calibrateNotSure, at
 * most 2.5% of drawn digits flagged on the calibration sets, seeds 21/22, which leaves room for the
 * 3% goal on other sets) with the page's shipped CNN (10 epochs, outlier-exposure trained) on
 * generated drawings; apps/web/README.md has the rates measured on other, held-out sets. Models
 * trained on MNIST alone (the tutorial MLP, most Keras files) are overconfident on non-digits:
 * with them it flags far fewer.
 */
export const NOT_SURE_THRESHOLD: NotSureThreshold = { measure: 'probability', below: 0.544 };

/** One prediction with how sure the model is. */
export interface DigitReading {
  /** The most probable digit. */
  digit: number;
  /** Its probability. */
  probability: number;
  /** The second most probable digit and the gap to it (top probability minus the runner-up's). */
  runnerUp: number;
  margin: number;
  /** Entropy of the probabilities divided by log(classes): 0 = all on one digit, 1 = uniform. */
  entropy: number;
  /** The threshold's measure for this reading (its margin, probability or 1 - entropy). */
  score: number;
  /** True when `score` is below the threshold: show "not sure", not the digit. */
  notSure: boolean;
  /** The threshold the verdict was made with. */
  threshold: NotSureThreshold;
}

function measureOf(reading: Pick<DigitReading, 'probability' | 'margin' | 'entropy'>, measure: UncertaintyMeasure): number {
  return measure === 'probability' ? reading.probability : measure === 'margin' ? reading.margin : 1 - reading.entropy;
}

/**
 * Reads one row of class probabilities: top digit, probability, runner-up, margin, entropy and the
 * not-sure verdict. Probabilities that are not finite or do not sum to ~1 are an error, never a verdict.
 */
export function readProbabilities(probabilities: ArrayLike<number>, threshold: NotSureThreshold = NOT_SURE_THRESHOLD): DigitReading {
  const n = probabilities.length;
  if (n < 2) throw new DigitsError('BAD_ARGUMENT', `need the probabilities of at least 2 classes, got ${n}`);
  let sum = 0;
  let best = 0;
  let second = -1;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    if (!Number.isFinite(p) || p < 0) throw new DigitsError('BAD_ARGUMENT', `class ${i} has probability ${p}: the model's output is not a probability distribution`);
    sum += p;
    if (i === 0) continue;
    if (p > probabilities[best]!) {
      second = best;
      best = i;
    } else if (second < 0 || p > probabilities[second]!) second = i;
  }
  if (Math.abs(sum - 1) > 1e-3) throw new DigitsError('BAD_ARGUMENT', `probabilities sum to ${sum.toFixed(4)}, not 1: the model's output is not a softmax`);
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]! / sum;
    if (p > 0) entropy -= p * Math.log(p);
  }
  const reading = {
    digit: best,
    probability: probabilities[best]!,
    runnerUp: second,
    margin: probabilities[best]! - probabilities[second]!,
    entropy: entropy / Math.log(n),
  };
  const score = measureOf(reading, threshold.measure);
  return { ...reading, score, notSure: score < threshold.below, threshold };
}

/** Predicts and reads every image (n*784 floats, or a split): one DigitReading each. */
export function readDigits(model: tf.LayersModel, x: Float32Array | Split, threshold: NotSureThreshold = NOT_SURE_THRESHOLD): DigitReading[] {
  const probabilities = predictProbabilities(model, x);
  const shape = model.outputs[0]?.shape ?? [];
  const classes = shape[shape.length - 1] ?? 10;
  return Array.from({ length: probabilities.length / classes }, (_, i) => readProbabilities(probabilities.subarray(i * classes, (i + 1) * classes), threshold));
}

export interface Calibration {
  threshold: NotSureThreshold;
  /** Fractions of each set the threshold flags as not sure. */
  digitsFlagged: number;
  nonDigitsFlagged: number;
}

/**
 * Picks the threshold that flags the most non-digits while flagging at most `maxDigitsFlagged`
 * (default 0.03) of the digits, for each measure; returns the best measure first. Inputs are
 * readings of real digits and of things that are not digits (calibration sets: report rates on
 * other, held-out sets).
 */
export function calibrateNotSure(digits: readonly DigitReading[], nonDigits: readonly DigitReading[], maxDigitsFlagged = 0.03): Calibration[] {
  if (digits.length === 0 || nonDigits.length === 0) throw new DigitsError('BAD_ARGUMENT', 'calibration needs readings of digits and of non-digits');
  const measures: UncertaintyMeasure[] = ['margin', 'probability', 'certainty'];
  const results = measures.map((measure) => {
    const scores = digits.map((r) => measureOf(r, measure)).sort((a, b) => a - b);
    // Flag below the score of the first digit we may not flag: at most floor(rate * n) digits fall below it.
    const allowed = Math.floor(maxDigitsFlagged * scores.length);
    const below = scores[allowed]!;
    const threshold = { measure, below };
    return {
      threshold,
      digitsFlagged: scores.filter((s) => s < below).length / scores.length,
      nonDigitsFlagged: nonDigits.filter((r) => measureOf(r, measure) < below).length / nonDigits.length,
    };
  });
  return results.sort((a, b) => b.nonDigitsFlagged - a.nonDigitsFlagged);
}

/** The fraction of readings flagged not sure. */
export function notSureRate(readings: readonly DigitReading[]): number {
  return readings.filter((r) => r.notSure).length / readings.length;
}
