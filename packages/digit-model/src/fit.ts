import type * as tf from '@tensorflow/tfjs';
import { assertLayersModel, DigitsError } from '@digits/mnist-data';

/** The images and classes a model is asked to work on. */
export interface DataShape {
  rows: number;
  cols: number;
  /** number of classes the labels (and so the model's output) have; default 10 */
  classes?: number;
}

/** The default for Float32Array inputs, which carry no image size: MNIST's 28x28 digits in 10 classes. */
export const MNIST_SHAPE: Readonly<Required<DataShape>> = { rows: 28, cols: 28, classes: 10 };

/**
 * Why `model` cannot classify `data`'s images, or undefined when it can. A model that takes 4
 * inputs would otherwise be fed 196 "samples" per 28x28 image, and one with 6 outputs would have
 * its rows read as 10 classes: numbers that look like answers ("353 (5960.8%)") and are not.
 * Accepted inputs: the pixels flat ([rows*cols]) or as an image ([rows, cols] or [rows, cols, 1]).
 */
export function modelFitProblem(model: tf.LayersModel, data: DataShape): string | undefined {
  const classes = data.classes ?? MNIST_SHAPE.classes;
  const pixels = data.rows * data.cols;
  if (model.inputs.length !== 1) return `the model has ${model.inputs.length} inputs; digits feeds one image per sample`;
  if (model.outputs.length !== 1) return `the model has ${model.outputs.length} outputs; digits reads one list of class probabilities`;
  const input = model.inputs[0]!.shape.slice(1);
  const shown = `[${input.map((d) => d ?? 'any').join(', ')}]`;
  const fits =
    (input.length === 1 && input[0] === pixels) ||
    (input.length === 2 && input[0] === data.rows && input[1] === data.cols) ||
    (input.length === 3 && input[0] === data.rows && input[1] === data.cols && input[2] === 1);
  if (!fits) {
    return `the model takes inputs of shape ${shown} per sample, but the images are ${data.rows}x${data.cols} (${pixels} pixels, one channel)`;
  }
  const output = model.outputs[0]!.shape;
  if (output.length !== 2 || output[1] !== classes) {
    return `the model outputs shape [${output.slice(1).map((d) => d ?? 'any').join(', ')}] per sample, but the data has ${classes} classes`;
  }
  return undefined;
}

/** Throws MODEL_SHAPE_MISMATCH with `modelFitProblem`'s reason. */
export function assertModelFits(model: tf.LayersModel, data: DataShape, what = 'the data'): void {
  assertLayersModel(model, 'model');
  const problem = modelFitProblem(model, data);
  if (problem) throw new DigitsError('MODEL_SHAPE_MISMATCH', `this model cannot classify ${what}: ${problem}`);
}

/**
 * Probabilities that are NaN or Infinity name no class (argmax of NaNs is -1 or 0, "NaN%"):
 * the model's weights or the input hold NaN/Infinity, or the model overflowed.
 */
export function assertFiniteOutputs(values: Float32Array, classes: number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const sample = Math.floor(i / classes);
      throw new DigitsError(
        'PREDICTION_NOT_FINITE',
        `the model computed ${String(values[i])} for sample ${sample} (class ${i % classes}): its weights or the input hold NaN or Infinity, so there is no answer to give`,
      );
    }
  }
}
