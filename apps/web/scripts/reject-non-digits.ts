/**
 * Fine-tunes a trained model so that it says "not sure" to things that are not digits (outlier
 * exposure, @digits/model's trainWithOutliers): one pass over the first 30,000 augmented MNIST training images, each
 * step also showing it generated non-digits (letters, shapes, scribbles, specks) with the uniform
 * distribution as the target. Some letters and shapes are held out (REJECTION_HELD_OUT), so the
 * page's figures can say how it does on kinds of non-digit it never saw.
 *
 *   tsx scripts/reject-non-digits.ts <trained model dir> <out dir>
 */
import * as tf from '@tensorflow/tfjs';
import { drawingPixels, nonDigitDrawings, takeFirst } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';
import { evaluate, selectBackend, trainWithOutliers } from '@digits/model';
import { loadModel, saveModel } from '@digits/model-io/node';
import { REJECTION_HELD_OUT, REJECTION_TRAINING_SEED } from './drawing-sets';

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error('usage: reject-non-digits.ts <trained model dir> <out dir>');
const count = Number(process.env.DIGITS_OUTLIERS ?? 6000);
// Half the training set is enough for a fine-tune (the model already knows the digits) and halves its time.
const digitCount = Number(process.env.DIGITS_OUTLIER_DIGITS ?? 30000);
const epochs = Number(process.env.DIGITS_OUTLIER_EPOCHS ?? 1);
// A gentle fine-tune: at weight 0.5 and lr 5e-4 the model also grew unsure of real digits.
const weight = Number(process.env.DIGITS_OUTLIER_WEIGHT ?? 0.2);
const learningRate = Number(process.env.DIGITS_OUTLIER_LR ?? 2e-4);

const backend = await selectBackend('wasm');
console.log(`Backend: ${backend.backend}`);
const { model, card } = await loadModel(from);
model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const mnist = await loadMnist({ source: 'embedded' });
let started = performance.now();
const outliers = drawingPixels(nonDigitDrawings({ seed: REJECTION_TRAINING_SEED, count, exclude: REJECTION_HELD_OUT }));
console.log(`${count} non-digit drawings rendered in ${((performance.now() - started) / 1000).toFixed(1)} s`);
started = performance.now();
const logs = await trainWithOutliers(model, takeFirst(mnist.train, digitCount), outliers, {
  epochs,
  weight,
  augment: true,
  seed: 1,
  onBatchEnd: (batch, batches, l) => {
    if (batch % 50 === 0) console.log(`  batch ${batch + 1}/${batches} loss ${l.loss.toFixed(4)} non-digit loss ${l.outlierLoss.toFixed(4)}`);
  },
});
for (const log of logs) console.log(`Epoch ${log.epoch}: loss ${log.loss.toFixed(4)}, non-digit loss ${log.outlierLoss.toFixed(4)} (floor ${Math.log(10).toFixed(4)}), ${log.seconds.toFixed(0)} s`);
// The card's test figures must describe this model, not the one before the fine-tune.
const test = await evaluate(model, mnist.test);
console.log(`Test accuracy after the fine-tune: ${test.accuracy.toFixed(4)} (loss ${test.loss.toFixed(4)})`);
await saveModel(model, to, {
  card: {
    ...card,
    testAccuracy: test.accuracy,
    rejection: {
      method: 'outlier exposure (uniform target on generated non-digits)',
      outliers: count,
      digits: digitCount,
      heldOutKinds: REJECTION_HELD_OUT,
      epochs,
      weight,
      learningRate,
      log: logs,
    },
  },
});
console.log(`Saved ${to} in ${((performance.now() - started) / 1000).toFixed(0)} s of training`);
