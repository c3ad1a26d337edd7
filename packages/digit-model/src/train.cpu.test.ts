import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { takeFirst } from '@digits/mnist-data';
import { selectBackend } from './backends/select';
import { createMlp } from './models';
import { evaluate } from './predict';
import { train } from './train';
import { mnist } from './test-utils/mnist';

beforeAll(async () => {
  await selectBackend('cpu');
});

// The cpu backend is the slow reference (~0.8 s per batch of 128 for the 512-512 tutorial net on a
// quiet machine, minutes on a busy one), so this one cpu run uses the tutorial's layers at 256 units
// (2.5x fewer FLOPs; 128 units stayed at 84.5%); the full-width net is trained on wasm in train.test.ts.
it('learns on the cpu backend too: 2,000 images, 2 epochs -> > 85% on 1,000 test images, no leaks', async () => {
  const data = await mnist();
  const model = createMlp({ seed: 42, hiddenUnits: [256, 256] });
  const counts: number[] = [];
  await train(model, takeFirst(data.train, 2000), {
    epochs: 2,
    batchSize: 32,
    seed: 42,
    validationSplit: 0,
    onEpochEnd: () => void counts.push(tf.memory().numTensors),
  });
  expect(tf.getBackend()).toBe('cpu');
  expect(counts[1]).toBe(counts[0]);
  const { accuracy } = await evaluate(model, takeFirst(data.test, 1000));
  console.log(`cpu backend, 784-256-256-10: ${(accuracy * 100).toFixed(1)}% on 1,000 test images`);
  expect(accuracy).toBeGreaterThan(0.85);
}, 600_000);
