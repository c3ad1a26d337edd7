/**
 * The Keras BatchNorm CNN (../shared/fixtures/keras/tfkeras2.2.4-tf_tiny_mnist_bn.nooptimizer.h5)
 * imported and fine-tuned for one epoch of the 60k MNIST training set in the digits engine (Adam
 * 1e-4, batch 64): test accuracy before and after, and the time. Its moving statistics were never
 * updated in Keras (they are still 0 and 1), so its inference only holds once an epoch has moved
 * them to the data's: accuracy is measured on the full 10k test set.
 *   pnpm --filter @digits/model-io bench:keras-bn
 *   DIGITS_BENCH_SAMPLES=8192 ...   # fewer training images
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '@digits/mnist-data/node';
import { takeFirst } from '@digits/mnist-data';
import { evaluate, selectBackend, train } from '@digits/model';
import { importKeras } from '../src/keras-import';

const FIXTURE = new URL('../../../../shared/fixtures/keras/tfkeras2.2.4-tf_tiny_mnist_bn.nooptimizer.h5', import.meta.url);
const data = await loadMnist();
const samples = Number(process.env['DIGITS_BENCH_SAMPLES'] ?? data.train.count);
const choice = await selectBackend('engine');
console.log(`backend: ${choice.name} (${choice.reason})`);
const model = await importKeras(new Uint8Array(readFileSync(FIXTURE)), { fileName: 'tfkeras2.2.4-tf_tiny_mnist_bn.nooptimizer.h5' });
model.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const before = await evaluate(model, data.test);
console.log(`before: test accuracy ${(before.accuracy * 100).toFixed(2)}%, loss ${before.loss.toFixed(4)}`);
const history = await train(model, takeFirst(data.train, samples), {
  epochs: 1,
  batchSize: 64,
  validationSplit: 0,
  seed: 0,
  onBatchEnd: (batch, batches) => {
    if (batch % 100 === 0) process.stdout.write(`  batch ${batch}/${batches}\r`);
  },
});
const after = await evaluate(model, data.test);
console.log(`trainer: ${history.trainer}${history.trainerReason ? ` (${history.trainerReason})` : ''}`);
console.log(`after one epoch of ${samples} images (${history.epochs[0]!.seconds.toFixed(1)} s): test accuracy ${(after.accuracy * 100).toFixed(2)}%, loss ${after.loss.toFixed(4)}, training loss ${history.epochs[0]!.loss.toFixed(4)}`);
console.log(after.accuracy >= before.accuracy ? 'accuracy did not drop' : `ACCURACY DROPPED by ${((before.accuracy - after.accuracy) * 100).toFixed(2)} points`);
