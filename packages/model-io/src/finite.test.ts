import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeras, importKeras } from './index';
import { loadModel, saveModel } from './node';
import { smallMlp } from './test-utils/models';

// A NaN or an Infinity in any weight makes every prediction NaN: refused on load, the tensor named.
let work: string;
const model = smallMlp(5);
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-finite-'));
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

/** Saves `model` to a fresh directory and returns the directory and its weights.bin as floats. */
async function saved(name: string, options: Parameters<typeof saveModel>[2] = {}): Promise<{ dir: string; weights: string; bytes: Uint8Array }> {
  const dir = join(work, name);
  await saveModel(model, dir, options);
  const weights = join(dir, 'weights.bin');
  return { dir, weights, bytes: new Uint8Array(await readFile(weights)) };
}

async function expectRefused(dir: string, tensor: string, found: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await loadModel(dir).then(() => undefined, (e: unknown) => e);
  expect(error).toMatchObject({ name: 'DigitsError', code: 'MODEL_WEIGHTS_NOT_FINITE', file: join(dir, 'model.json') });
  expect((error as Error).message).toContain(`weight "${tensor}"`);
  expect((error as Error).message).toMatch(found);
  expect(tf.memory().numTensors).toBe(before);
}

describe('non-finite weights in a tfjs model directory', () => {
  it('a NaN in the first kernel (float32) is MODEL_WEIGHTS_NOT_FINITE naming dense_1/kernel', async () => {
    const { dir, weights, bytes } = await saved('nan');
    new DataView(bytes.buffer).setFloat32(4 * 100, NaN, true);
    await writeFile(weights, bytes);
    await expectRefused(dir, 'dense_1/kernel', /1 non-finite value \(NaN at index 100\)/);
  });

  it('Infinity in the last bias (after three other tensors)', async () => {
    const { dir, weights, bytes } = await saved('inf');
    const view = new DataView(bytes.buffer);
    view.setFloat32(bytes.length - 4, Infinity, true);
    view.setFloat32(bytes.length - 8, -Infinity, true);
    await writeFile(weights, bytes);
    await expectRefused(dir, 'dense_2/bias', /2 non-finite values \(-Infinity at index 8\)/);
  });

  it('a float16-quantized model with an Infinity (0x7c00)', async () => {
    const { dir, weights, bytes } = await saved('f16', { quantize: 'float16' });
    new DataView(bytes.buffer).setUint16(2 * 7, 0x7c00, true);
    await writeFile(weights, bytes);
    await expectRefused(dir, 'dense_1/kernel', /Infinity at index 7/);
  });

  it('finite weights still load (uint8-quantized too)', async () => {
    for (const options of [{}, { quantize: 'uint8' as const }]) {
      const { dir } = await saved(`ok-${options.quantize ?? 'float32'}`, options);
      const { model: loaded } = await loadModel(dir);
      loaded.dispose();
    }
  });
});

describe('non-finite weights in a Keras file', () => {
  it('an exported model with a NaN weight does not import; the message names the layer and dataset', async () => {
    const bad = smallMlp(6);
    const [kernel, bias] = bad.getLayer('dense_2').getWeights();
    const values = bias!.dataSync().slice();
    values[3] = NaN;
    bad.getLayer('dense_2').setWeights([kernel!, tf.tensor(values)]);
    for (const format of ['h5', 'keras'] as const) {
      const bytes = await exportKeras(bad, format);
      const before = tf.memory().numTensors;
      const error = await importKeras(bytes, { fileName: `bad.${format}` }).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'DigitsError', code: 'MODEL_WEIGHTS_NOT_FINITE', file: `bad.${format}` });
      const stored = format === 'h5' ? 'dense_2/dense_2/bias:0' : 'dense_2/vars/1';
      expect((error as Error).message).toBe(`bad.${format}: weight "${stored}" holds 1 non-finite value (NaN at index 3); a model with NaN or Infinity weights cannot give meaningful predictions`);
      expect(tf.memory().numTensors).toBe(before);
    }
    bad.dispose();
  });
});
