import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDigitsError } from '@digits/mnist-data';
import { applyMutations, FUZZ, mutations } from '../../../mnist-data/src/test-utils/mutations';
import { loadModel, readKerasFile, saveModel } from '../node';
import { smallMlp } from '../test-utils/models';

let work: string;
let saved: string;
let modelJson: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-bounds-'));
  saved = join(work, 'saved');
  const model = smallMlp();
  await saveModel(model, saved);
  model.dispose();
  modelJson = await readFile(join(saved, 'model.json'), 'utf8');
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function copyWith(name: string, files: { modelJson?: string; weights?: Uint8Array }): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  await copyFile(join(saved, 'weights.bin'), join(dir, 'weights.bin'));
  await writeFile(join(dir, 'model.json'), modelJson);
  if (files.modelJson !== undefined) await writeFile(join(dir, 'model.json'), files.modelJson);
  if (files.weights !== undefined) await writeFile(join(dir, 'weights.bin'), files.weights);
  return dir;
}

async function expectLoadError(dir: string, code: string, message: RegExp): Promise<void> {
  const tensors = tf.memory().numTensors;
  const started = Date.now();
  const error = await loadModel(dir).catch((e: unknown) => e);
  expect(error).toMatchObject({ name: 'DigitsError', code });
  expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(tensors);
  expect(Date.now() - started).toBeLessThan(3000);
}

describe('model directories: only regular files, never more than the manifest describes', () => {
  it('a model.json that is a link to /dev/zero, or weights that are a FIFO: NOT_A_REGULAR_FILE at once', async () => {
    const zero = await copyWith('zero', {});
    await unlink(join(zero, 'model.json'));
    await symlink('/dev/zero', join(zero, 'model.json'));
    await expectLoadError(zero, 'NOT_A_REGULAR_FILE', /zero\/model\.json: not a regular file but a character device/);
    const pipe = await copyWith('pipe', {});
    await unlink(join(pipe, 'weights.bin'));
    execFileSync('mkfifo', [join(pipe, 'weights.bin')]);
    await expectLoadError(pipe, 'NOT_A_REGULAR_FILE', /pipe\/weights\.bin: not a regular file but a FIFO/);
  });

  it('weights larger than the manifest describes are refused unread (FILE_TOO_LARGE)', async () => {
    const dir = await copyWith('long', {});
    const weights = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), Buffer.concat([weights, Buffer.alloc(64 * 1024 * 1024)]));
    await expectLoadError(dir, 'FILE_TOO_LARGE', new RegExp(`weights\\.bin: the file is ${weights.length + 64 * 1024 * 1024} bytes, more than the ${weights.length} bytes accepted for what the weightsManifest describes`));
  });

  it('a model.json whose Dense layer says units: 1000000 is refused before building (SHAPE_LIMIT)', async () => {
    const json = JSON.parse(modelJson);
    json.modelTopology.config.layers[0].config.units = 1_000_000;
    await expectLoadError(await copyWith('units', { modelJson: JSON.stringify(json) }), 'SHAPE_LIMIT', /layer "dense_1" \(Dense\) declares units 1000000, more than the limit of 65536/);
    json.modelTopology.config.layers[0].config.units = 20_000; // under the per-layer limit, 30x what is stored
    await expectLoadError(await copyWith('wide', { modelJson: JSON.stringify(json) }), 'MODEL_WEIGHTS_INVALID', /describes 15,900,010 parameters but the file stores 25,450/);
  });

  it('a manifest describing more weight bytes than any model may have: SHAPE_LIMIT, nothing read', async () => {
    const json = JSON.parse(modelJson);
    json.weightsManifest[0].weights[0].shape = [784, 1_000_000];
    await expectLoadError(await copyWith('manifest', { modelJson: JSON.stringify(json) }), 'SHAPE_LIMIT', /weightsManifest describes \d+ bytes of weights, more than the \d+-byte limit/);
  });

  it('a FIFO or a /dev/zero link planted as the lock file or a stale temp marker does not hang a save', async () => {
    const target = join(work, 'planted');
    execFileSync('mkfifo', [join(work, '.planted.digits-lock')]);
    await mkdir(join(work, '.planted.tmp-1-abcdef'));
    await symlink('/dev/zero', join(work, '.planted.tmp-1-abcdef', '.digits-temp'));
    const model = smallMlp();
    const started = Date.now();
    await saveModel(model, target); // the planted lock is not a stamp of a live writer: taken over
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await loadModel(target)).model.countParams()).toBe(model.countParams());
    model.dispose();
  });

  it('a Keras file that is a FIFO: NOT_A_REGULAR_FILE', async () => {
    execFileSync('mkfifo', [join(work, 'model.h5')]);
    await expect(readKerasFile(join(work, 'model.h5'))).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE' });
  });
});

describe('model.json + weights manifest fuzzed (fixed seed)', () => {
  /** Hostile values for the numbers in the JSON text: the structured mutations byte flips rarely make. */
  const numbers = [0, -1, 1.5, 65_537, 1_000_000, 2 ** 32, 1e300];

  async function loadsOrDigitsError(text: string): Promise<boolean> {
    const dir = join(work, 'fuzz');
    await mkdir(dir, { recursive: true });
    await copyFile(join(saved, 'weights.bin'), join(dir, 'weights.bin'));
    await writeFile(join(dir, 'model.json'), text);
    const tensors = tf.memory().numTensors;
    try {
      (await loadModel(dir)).model.dispose();
    } catch (error) {
      if (!isDigitsError(error)) throw error;
    }
    return tf.memory().numTensors === tensors;
  }

  it('byte mutations of a real model.json load or throw a DigitsError, and leak no tensor', async () => {
    await fc.assert(fc.asyncProperty(mutations(), (edits) => loadsOrDigitsError(new TextDecoder().decode(applyMutations(new TextEncoder().encode(modelJson), edits)))), { ...FUZZ, numRuns: 60 });
  });

  it('numbers in a real model.json replaced by hostile ones load or throw a DigitsError, and leak no tensor', async () => {
    const tokens = [...modelJson.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: tokens.length - 1 }), fc.constantFrom(...numbers)), { minLength: 1, maxLength: 3 }), (edits) => {
        let text = modelJson;
        for (const [index, value] of [...edits].sort((a, b) => tokens[b[0]]!.index! - tokens[a[0]]!.index!)) {
          const token = tokens[index]!;
          text = text.slice(0, token.index!) + String(value) + text.slice(token.index! + token[0].length);
        }
        return loadsOrDigitsError(text);
      }),
      { ...FUZZ, numRuns: 60 },
    );
  });
});
