import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { SeededDropout } from './seeded-dropout';
import { deriveSeed } from './seeds';

export interface CompileOptions {
  /** Adam learning rate; the tutorial's (Keras default) 0.001. */
  learningRate?: number;
}

export interface MlpOptions extends CompileOptions {
  /** Units of each hidden Dense layer; the tutorial's [512, 512]. */
  hiddenUnits?: number[];
  /** Dropout rate after each hidden layer; the tutorial's 0.2. */
  dropout?: number;
  /** Seeds the initialisers and the dropout masks (default 0): same seed, same network. */
  seed?: number;
}

export interface CnnOptions extends CompileOptions {
  /** Filters of the two 3x3 convolutions; default [32, 64]. */
  filters?: [number, number];
  /** Units of the dense layer before the classifier; default 128. */
  denseUnits?: number;
  /** Dropout before and after the dense layer; default [0.25, 0.5]. */
  dropout?: [number, number];
  seed?: number;
}

const INPUT_SIZE = 784;
const NUM_CLASSES = 10;

/** Compiles like the tutorial: categorical cross-entropy, Adam (lr 0.001), accuracy. */
export function compileModel(model: tf.LayersModel, options: CompileOptions = {}): void {
  const learningRate = options.learningRate ?? 0.001;
  if (!(learningRate > 0)) {
    throw new DigitsError('BAD_ARGUMENT', `learningRate must be a positive number, got ${learningRate}`);
  }
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
}

/** Trainable and non-trainable parameters, as Keras's summary counts them. */
export function countParameters(model: tf.LayersModel): number {
  return model.countParams();
}

/**
 * The tutorial's network: Dense 512 (input 784) -> ReLU -> Dropout 0.2 -> Dense 512 -> ReLU ->
 * Dropout 0.2 -> Dense 10 -> softmax, glorot_uniform kernels, zero biases (669,706 parameters),
 * with Keras's layer names. Returned compiled.
 */
export function createMlp(options: MlpOptions = {}): tf.Sequential {
  const hiddenUnits = options.hiddenUnits ?? [512, 512];
  const rate = options.dropout ?? 0.2;
  const seed = options.seed ?? 0;
  checkUnits('hiddenUnits', hiddenUnits);
  checkRate('dropout', rate);

  const model = tf.sequential({ name: 'mlp' });
  let layerIndex = 0;
  const dense = (units: number, index: number) =>
    tf.layers.dense({
      units,
      name: `dense_${index}`,
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, layerIndex++) }),
      biasInitializer: 'zeros',
      ...(index === 1 ? { inputShape: [INPUT_SIZE] } : {}),
    });
  hiddenUnits.forEach((units, i) => {
    model.add(dense(units, i + 1));
    model.add(tf.layers.activation({ activation: 'relu', name: `activation_${i + 1}` }));
    model.add(new SeededDropout({ rate, seed: deriveSeed(seed, 1000 + i), name: `dropout_${i + 1}` }));
  });
  model.add(dense(NUM_CLASSES, hiddenUnits.length + 1));
  model.add(tf.layers.activation({ activation: 'softmax', name: `activation_${hiddenUnits.length + 1}` }));
  compileModel(model, options);
  return model;
}

/**
 * A small convnet on the same 784-vectors: two 3x3 convolutions with max pooling, dropout, a dense
 * layer and softmax. Returned compiled.
 */
export function createCnn(options: CnnOptions = {}): tf.Sequential {
  const [f1, f2] = options.filters ?? [32, 64];
  const denseUnits = options.denseUnits ?? 128;
  const [drop1, drop2] = options.dropout ?? [0.25, 0.5];
  const seed = options.seed ?? 0;
  checkUnits('filters', [f1, f2]);
  checkUnits('denseUnits', [denseUnits]);
  checkRate('dropout', drop1);
  checkRate('dropout', drop2);
  const init = (i: number) => tf.initializers.glorotUniform({ seed: deriveSeed(seed, i) });

  const model = tf.sequential({ name: 'cnn' });
  model.add(tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [INPUT_SIZE], name: 'reshape' }));
  model.add(tf.layers.conv2d({ filters: f1, kernelSize: 3, activation: 'relu', kernelInitializer: init(0), name: 'conv2d_1' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }));
  model.add(tf.layers.conv2d({ filters: f2, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), name: 'conv2d_2' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(new SeededDropout({ rate: drop1, seed: deriveSeed(seed, 1000), name: 'dropout_1' }));
  model.add(tf.layers.dense({ units: denseUnits, activation: 'relu', kernelInitializer: init(2), name: 'dense_1' }));
  model.add(new SeededDropout({ rate: drop2, seed: deriveSeed(seed, 1001), name: 'dropout_2' }));
  model.add(tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: init(3), name: 'dense_2' }));
  compileModel(model, options);
  return model;
}

function checkUnits(name: string, units: number[]): void {
  if (units.length === 0 || !units.every((u) => Number.isInteger(u) && u > 0)) {
    throw new DigitsError('BAD_ARGUMENT', `${name} must be positive integers, got [${units.join(', ')}]`);
  }
}

function checkRate(name: string, rate: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new DigitsError('BAD_ARGUMENT', `${name} must be a rate in [0, 1), got ${rate}`);
  }
}
