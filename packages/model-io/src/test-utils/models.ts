import * as tf from '@tensorflow/tfjs';
import { normalize, takeFirst, toCategorical, type Dataset, type Split } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';

let dataset: Promise<Dataset> | undefined;
/** The real MNIST (embedded copy, SHA-256 checked), loaded once per test file. */
export const mnist = () => (dataset ??= loadMnist());

export function inputs(split: Split, n: number, shape: number[] = [784]): tf.Tensor {
  const part = takeFirst(split, n);
  return tf.tensor(normalize(part.images), [part.count, ...shape]);
}

export function oneHot(split: Split, n: number): tf.Tensor {
  const part = takeFirst(split, n);
  return tf.tensor2d(toCategorical(part.labels), [part.count, 10]);
}

/** A small seeded MLP (784-32-10) with Keras-style names, compiled with Adam. */
export function smallMlp(seed = 1, options: { dropout?: boolean } = {}): tf.Sequential {
  const model = tf.sequential({ name: 'small_mlp' });
  model.add(tf.layers.dense({ units: 32, activation: 'relu', inputShape: [784], name: 'dense_1', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  if (options.dropout !== false) model.add(tf.layers.dropout({ rate: 0.2, name: 'dropout_1', seed }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense_2', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** A small CNN with batch normalization, as a functional model (exercises InputLayer and inbound nodes). */
export function smallFunctionalCnn(seed = 3): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv2d', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'batch_normalization' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'small_cnn' });
}

/** Trains briefly on real MNIST so weights (and BN statistics / Adam moments) are not their initial values. */
export async function trainBriefly(model: tf.LayersModel, data: Split, n = 512, shape: number[] = [784]): Promise<void> {
  if (model.optimizer == null) model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const x = inputs(data, n, shape);
  const y = oneHot(data, n);
  await model.fit(x, y, { epochs: 1, batchSize: 128, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
}

/** Raw bytes of every weight, for bit-exact comparisons. */
export function weightBytes(model: tf.LayersModel): Uint8Array[] {
  return model.getWeights().map((w) => new Uint8Array(w.dataSync().slice().buffer));
}

export function predictArray(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

/** Largest absolute difference between the weights of two models of the same architecture. */
export function maxWeightDifference(a: tf.LayersModel, b: tf.LayersModel): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  let max = 0;
  wa.forEach((w, i) => {
    const x = w.dataSync();
    const y = wb[i]!.dataSync();
    for (let k = 0; k < x.length; k++) max = Math.max(max, Math.abs(x[k]! - y[k]!));
  });
  return max;
}
