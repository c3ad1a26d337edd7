import * as tf from '@tensorflow/tfjs';
import type { Split } from '@digits/mnist-data';
import { DigitsError, gatherBatch } from '@digits/mnist-data';
import { sampleSize } from './batches';
import { assertFiniteOutputs, assertModelFits, MNIST_SHAPE } from './fit';
import { beginPrediction } from './predictor';

/** Samples per forward pass: large enough to keep the matmuls efficient, small enough for memory. */
const PREDICT_CHUNK = 2048;
/** Keras's clipping of probabilities in categorical cross-entropy. */
const EPSILON = 1e-7;

function inputSize(model: tf.LayersModel): number {
  const shape = model.inputs[0]?.shape ?? [];
  return shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
}

/** One sample's input shape, e.g. [784] for the MLP or [28, 28, 1] for a Keras convnet. */
/** The shape of one sample the model takes (its input shape without the batch axis). */
export function sampleShape(model: tf.LayersModel): number[] {
  return (model.inputs[0]?.shape ?? []).slice(1).map((d) => d ?? 1);
}

function outputSize(model: tf.LayersModel): number {
  const shape = model.outputs[0]?.shape ?? [];
  return shape[shape.length - 1] ?? 1;
}

export interface PredictOptions {
  /** classes the model must output; default 10 */
  classes?: number;
}

/**
 * Runs the model in inference mode on chunks built straight from the typed array (no tfjs Slice,
 * which on the wasm backend copies the whole input for every batch); returns n x classes
 * probabilities, row-major. `x` is a split, or n x 784 floats (28x28 images). A model whose input
 * or output does not fit is MODEL_SHAPE_MISMATCH, and NaN/Infinity outputs are
 * PREDICTION_NOT_FINITE: never numbers that only look like an answer.
 */
export function predictProbabilities(model: tf.LayersModel, x: Float32Array | Split, options: PredictOptions = {}): Float32Array {
  checkInputs(model, x, options);
  const fromPredictor = predictorProbabilities(model, x);
  if (fromPredictor) return finite(fromPredictor, model);
  const { out, chunks } = plan(model, x);
  for (const { run, offset } of chunks) {
    const probs = run();
    try {
      out.set(probs.dataSync() as Float32Array, offset);
    } finally {
      probs.dispose();
    }
  }
  return finite(out, model);
}

/** The model must fit the data (the split's image size, else 28x28) and the classes. */
function checkInputs(model: tf.LayersModel, x: Float32Array | Split, options: PredictOptions): void {
  if (!(x instanceof Float32Array) && (x == null || typeof x !== 'object' || !(x.images instanceof Uint8Array))) {
    throw new DigitsError('BAD_ARGUMENT', 'expected a Float32Array of n x 784 pixels (0..1) or a Split { images, labels, count, rows, cols }');
  }
  const size = isSplit(x) ? { rows: x.rows, cols: x.cols } : MNIST_SHAPE;
  if (isSplit(x)) sampleSize(x);
  assertModelFits(model, { ...size, classes: options.classes ?? MNIST_SHAPE.classes }, isSplit(x) ? `${x.rows}x${x.cols} images` : '28x28 images (n x 784 floats)');
}

function finite(probabilities: Float32Array, model: tf.LayersModel): Float32Array {
  assertFiniteOutputs(probabilities, outputSize(model));
  return probabilities;
}

/** predictProbabilities reading results asynchronously (backends such as webgpu on Node cannot read synchronously). */
async function predictProbabilitiesAsync(model: tf.LayersModel, x: Float32Array | Split, options: PredictOptions): Promise<Float32Array> {
  checkInputs(model, x, options);
  const fromPredictor = predictorProbabilities(model, x);
  if (fromPredictor) return finite(fromPredictor, model);
  const { out, chunks } = plan(model, x);
  for (const { run, offset } of chunks) {
    const probs = run();
    try {
      out.set((await probs.data()) as Float32Array, offset);
    } finally {
      probs.dispose();
    }
  }
  return finite(out, model);
}

/**
 * The probabilities from the first registered predictor that runs this model (e.g. the digits
 * engine, while its backend is selected), else undefined and tfjs runs it.
 */
function predictorProbabilities(model: tf.LayersModel, x: Float32Array | Split): Float32Array | undefined {
  const size = inputSize(model);
  // input of the wrong size: the tfjs path below reports it
  const samples = isSplit(x) ? (sampleSize(x) === size ? x.count : undefined) : x.length % size === 0 ? x.length / size : undefined;
  if (samples === undefined) return undefined;
  const session = beginPrediction(model);
  if (typeof session === 'string') return undefined;
  return session.predict(isSplit(x) ? x.images.subarray(0, samples * size) : x, samples);
}

function plan(model: tf.LayersModel, x: Float32Array | Split): { out: Float32Array; chunks: { run: () => tf.Tensor; offset: number }[] } {
  const size = inputSize(model);
  const shape = sampleShape(model);
  const classes = outputSize(model);
  const n = isSplit(x) ? x.count : x.length / size;
  if (isSplit(x)) {
    if (sampleSize(x) !== size) {
      throw new DigitsError('BAD_ARGUMENT', `the model takes ${size} pixels per image, the data has ${x.rows}x${x.cols}`);
    }
  } else if (!Number.isInteger(n)) {
    throw new DigitsError('BAD_ARGUMENT', `expected a Float32Array of n x ${size} values, got length ${x.length}`);
  }
  const chunks: { run: () => tf.Tensor; offset: number }[] = [];
  for (let start = 0; start < n; start += PREDICT_CHUNK) {
    const end = Math.min(n, start + PREDICT_CHUNK);
    const run = () =>
      tf.tidy(() => {
        const values = isSplit(x) ? gatherBatch(x, range(start, end), classes).x : x.subarray(start * size, end * size);
        return model.apply(tf.tensor(values, [end - start, ...shape]), { training: false }) as tf.Tensor;
      });
    chunks.push({ run, offset: start * classes });
  }
  return { out: new Float32Array(n * classes), chunks };
}

/** The most probable class of each sample (Keras's `predict_classes`). */
export function predictClasses(model: tf.LayersModel, x: Float32Array | Split, options: PredictOptions = {}): Int32Array {
  return argmaxRows(predictProbabilities(model, x, options), outputSize(model));
}

/** Test loss (categorical cross-entropy, as Keras computes it) and accuracy on a split. */
export async function evaluate(model: tf.LayersModel, data: Split, options: PredictOptions = {}): Promise<{ loss: number; accuracy: number }> {
  const probs = await predictProbabilitiesAsync(model, data, options);
  const classes = outputSize(model);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    let sum = 0;
    let best = 0;
    for (let c = 0; c < classes; c++) {
      sum += row[c]!;
      if (row[c]! > row[best]!) best = c;
    }
    const label = data.labels[i]!;
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, row[label]! / sum));
    loss -= Math.log(p);
    if (best === label) correct++;
  }
  const n = Math.max(1, data.count);
  return { loss: loss / n, accuracy: correct / n };
}

/** counts[true][predicted]: rows are the true labels, columns the predictions. */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses = 10,
): number[][] {
  checkSameLength(trueLabels, predicted);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i]!;
    const p = predicted[i]!;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new DigitsError('BAD_ARGUMENT', `label ${t} or prediction ${p} at index ${i} is not a class 0..${numClasses - 1}`);
    }
    matrix[t]![p]!++;
  }
  return matrix;
}

/** Indices of the correctly and incorrectly classified samples (the tutorial's 9837 / 163 split). */
export function classifyResults(
  trueLabels: ArrayLike<number>,
  predicted: ArrayLike<number>,
): { correct: number[]; incorrect: number[] } {
  checkSameLength(trueLabels, predicted);
  const correct: number[] = [];
  const incorrect: number[] = [];
  for (let i = 0; i < trueLabels.length; i++) (trueLabels[i] === predicted[i] ? correct : incorrect).push(i);
  return { correct, incorrect };
}

function argmaxRows(values: Float32Array, width: number): Int32Array {
  const n = values.length / width;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (values[i * width + c]! > values[i * width + best]!) best = c;
    out[i] = best;
  }
  return out;
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new DigitsError('BAD_ARGUMENT', `${a.length} true labels but ${b.length} predictions`);
  }
}

function range(start: number, end: number): Uint32Array {
  return Uint32Array.from({ length: end - start }, (_, i) => start + i);
}

function isSplit(x: Float32Array | Split): x is Split {
  return !(x instanceof Float32Array);
}
