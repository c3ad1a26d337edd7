import { mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPROCESSING_SPEC, type Dataset } from '@digits/mnist-data';
import { loadModel, saveModel } from '../node';
import { inputs, maxWeightDifference, mnist, predictArray, smallMlp, trainBriefly, weightBytes } from '../test-utils/models';

let work: string;
let data: Dataset;
let model: tf.Sequential;
let savedDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-fs-'));
  data = await mnist();
  model = smallMlp();
  await trainBriefly(model, data.train);
  savedDir = join(work, 'saved');
  await saveModel(model, savedDir, { card: { dataset: data, testAccuracy: 0.5 } });
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the saved model directory to corrupt. */
async function copyOfSaved(name: string): Promise<string> {
  const dir = join(work, name);
  await saveModel(model, dir);
  return dir;
}

async function editModelJson(dir: string, edit: (json: Record<string, any>) => void): Promise<void> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  edit(json);
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
}

async function expectLoadError(dir: string, code: string, file: RegExp, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await loadModel(dir).then(() => undefined, (e: unknown) => e);
  expect(error).toMatchObject({ name: 'DigitsError', code });
  expect((error as { file: string }).file).toMatch(file);
  expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('tfjs layers format on the file system', () => {
  it('writes model.json + weights.bin and loads back bit-identical weights and identical predictions', async () => {
    expect((await readdir(savedDir)).sort()).toEqual(['model.json', 'weights.bin']);
    expect((await stat(join(savedDir, 'weights.bin'))).size).toBe(model.countParams() * 4);
    const { model: loaded } = await loadModel(savedDir);
    expect(weightBytes(loaded)).toEqual(weightBytes(model));
    const x = inputs(data.test, 200);
    const before = tf.memory().numTensors;
    const expected = predictArray(model, x);
    const actual = predictArray(loaded, x);
    expect(tf.memory().numTensors).toBe(before);
    expect(actual).toEqual(expected);
    x.dispose();
    loaded.dispose();
  });

  it('saving a loaded model again reproduces the same weights file byte for byte', async () => {
    const { model: loaded } = await loadModel(join(savedDir, 'model.json'));
    const again = join(work, 'again');
    await saveModel(loaded, again);
    expect(await readFile(join(again, 'weights.bin'))).toEqual(await readFile(join(savedDir, 'weights.bin')));
    loaded.dispose();
  });

  it('reads weights split into several shards, as the tfjs converter writes them', async () => {
    const dir = await copyOfSaved('sharded');
    const bytes = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, 10_000));
    await writeFile(join(dir, 'group1-shard2of2.bin'), bytes.subarray(10_000));
    await rm(join(dir, 'weights.bin'));
    await editModelJson(dir, (json) => (json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin']));
    const { model: loaded } = await loadModel(dir);
    expect(weightBytes(loaded)).toEqual(weightBytes(model));
    loaded.dispose();
  });

  it('returns the model card: architecture, parameters, dataset checksums, test accuracy, versions, createdAt', async () => {
    const { model: loaded, card } = await loadModel(savedDir);
    expect(card).toBeDefined();
    expect(card!.parameters).toBe(784 * 32 + 32 + 32 * 10 + 10);
    expect(card!.architecture.layers.map((l) => [l.name, l.className, l.parameters])).toEqual([
      ['dense_1', 'Dense', 784 * 32 + 32],
      ['dropout_1', 'Dropout', 0],
      ['dense_2', 'Dense', 330],
    ]);
    expect(card!.dataset).toEqual({ name: data.name, checksums: data.checksums, trainCount: 60000, testCount: 10000 });
    expect(card!.testAccuracy).toBe(0.5);
    expect(card!.preprocessing).toEqual(PREPROCESSING_SPEC);
    expect(card!.versions['@tensorflow/tfjs']).toBe(tf.version.tfjs);
    expect(Date.now() - Date.parse(card!.createdAt)).toBeLessThan(10 * 60_000);
    loaded.dispose();
  });

  it('round-trips the Adam state with includeOptimizer so training resumes exactly', async () => {
    const trained = smallMlp(7, { dropout: false });
    await trainBriefly(trained, data.train, 256);
    const dir = join(work, 'checkpoint');
    await saveModel(trained, dir, { includeOptimizer: true });
    const { model: resumed } = await loadModel(dir);
    const original = await trained.optimizer.getWeights();
    const restored = await resumed.optimizer.getWeights();
    expect(original.length).toBe(1 + 2 * trained.trainableWeights.length); // iterations, then m and v per variable
    expect(restored.map((w) => w.tensor.shape)).toEqual(original.map((w) => w.tensor.shape));
    restored.forEach((w, i) => expect(w.tensor.dataSync()).toEqual(original[i]!.tensor.dataSync()));
    // The same next epoch on both: the weights stay together only if the Adam moments and step count
    // carried over. (Not bit-identical: tfjs recomputes beta^t with pow() in setWeights.)
    await trainBriefly(trained, data.train, 256);
    await trainBriefly(resumed, data.train, 256);
    expect(maxWeightDifference(resumed, trained)).toBeLessThan(1e-6);
    tf.dispose([...original.map((w) => w.tensor), ...restored.map((w) => w.tensor)]);
    resumed.dispose();
    trained.dispose();
  });

  it('without includeOptimizer a resumed Adam starts over and the weights drift apart (control)', async () => {
    const trained = smallMlp(7, { dropout: false });
    await trainBriefly(trained, data.train, 256);
    const dir = join(work, 'no-optimizer');
    await saveModel(trained, dir);
    const { model: fresh } = await loadModel(dir);
    fresh.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
    await trainBriefly(trained, data.train, 256);
    await trainBriefly(fresh, data.train, 256);
    expect(maxWeightDifference(fresh, trained)).toBeGreaterThan(1e-3);
    fresh.dispose();
    trained.dispose();
  });

  it('loads float16 and uint8 weights back as float32, at 1/2 and 1/4 of the size', async () => {
    const x = inputs(data.test, 500);
    const reference = predictArray(model, x);
    const original = model.getWeights().map((w) => w.dataSync() as Float32Array);
    for (const [quantize, bytesPerWeight] of [['float16', 2], ['uint8', 1]] as const) {
      const dir = join(work, `q-${quantize}`);
      await saveModel(model, dir, { quantize });
      expect((await stat(join(dir, 'weights.bin'))).size).toBe(model.countParams() * bytesPerWeight);
      const { model: loaded, card } = await loadModel(dir);
      expect(card!.quantization).toBe(quantize);
      // re-saving with the loaded card stores float32 and says so
      await saveModel(loaded, join(work, 'requantized'), { card: card!, overwrite: true });
      const resaved = await loadModel(join(work, 'requantized'));
      expect(resaved.card!.quantization).toBeUndefined();
      resaved.model.dispose();
      loaded.getWeights().forEach((w, i) => {
        expect(w.dtype).toBe('float32');
        const values = w.dataSync() as Float32Array;
        const ref = original[i]!;
        const range = Math.max(...ref) - Math.min(...ref);
        for (let k = 0; k < ref.length; k++) {
          const tolerance = quantize === 'float16' ? Math.abs(ref[k]!) * 2 ** -11 + 2 ** -25 : range / 255 / 2 + 1e-7;
          expect(Math.abs(values[k]! - ref[k]!)).toBeLessThanOrEqual(tolerance);
        }
      });
      const probabilities = predictArray(loaded, x);
      let agree = 0;
      for (let i = 0; i < 500; i++) {
        const row = (p: Float32Array) => Array.from(p.subarray(i * 10, i * 10 + 10));
        const a = row(reference);
        const b = row(probabilities);
        if (a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b))) agree++;
      }
      expect(agree).toBeGreaterThanOrEqual(495);
      loaded.dispose();
    }
    x.dispose();
  });

  it('replaces an existing model only when asked (overwrite), only with a complete one, and leaves no temp directories', async () => {
    const dir = await copyOfSaved('replace');
    const other = smallMlp(99);
    const before = await readFile(join(dir, 'weights.bin'));
    await expect(saveModel(other, dir)).rejects.toMatchObject({ code: 'MODEL_EXISTS', file: dir, message: expect.stringMatching(/already holds a saved model; pass overwrite: true/) });
    expect(await readFile(join(dir, 'weights.bin'))).toEqual(before);
    await saveModel(other, dir, { overwrite: true });
    const { model: loaded } = await loadModel(dir);
    expect(weightBytes(loaded)).toEqual(weightBytes(other));
    expect((await readdir(work)).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
    loaded.dispose();
    other.dispose();
  });

  it('refuses to replace a directory that is not a saved model, and leaves it untouched', async () => {
    const dir = join(work, 'not-a-model');
    await saveModel(model, join(dir, 'inner'));
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    const error = await saveModel(model, dir).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'TARGET_NOT_OURS', file: dir, message: `${dir}: holds files digits did not write (inner/, notes.txt); choose an empty or new directory` });
    expect((await readdir(dir)).sort()).toEqual(['inner', 'notes.txt']);
    // overwrite does not change that: it is about replacing a model, never about other files
    await expect(saveModel(model, dir, { overwrite: true })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS' });
    expect((await readdir(dir)).sort()).toEqual(['inner', 'notes.txt']);
  });

  it('a save that fails (bad option) writes nothing and keeps the existing model', async () => {
    const dir = await copyOfSaved('kept');
    const before = await readFile(join(dir, 'weights.bin'));
    const other = smallMlp(5);
    await expect(saveModel(other, dir, { quantize: 'int4' as never })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    const untrained = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    await expect(saveModel(untrained, dir, { includeOptimizer: true })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(await readFile(join(dir, 'weights.bin'))).toEqual(before);
    expect((await readdir(work)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    other.dispose();
    untrained.dispose();
  });
});

describe('loading validates before building', () => {
  it('beforeBuild runs once the files are checked and before the model is built; never for a damaged model', async () => {
    const calls: string[] = [];
    const before = tf.memory().numTensors;
    const { model: loaded } = await loadModel(savedDir, { beforeBuild: () => void calls.push(`tensors ${tf.memory().numTensors - before}`) });
    expect(calls).toEqual(['tensors 0']);
    loaded.dispose();
    const dir = await copyOfSaved('damaged-before-build');
    await truncate(join(dir, 'weights.bin'), 10);
    await expect(loadModel(dir, { beforeBuild: () => void calls.push('damaged') })).rejects.toMatchObject({ code: 'MODEL_WEIGHTS_INVALID' });
    expect(calls).toEqual(['tensors 0']);
  });

  it('missing directory: MODEL_NOT_FOUND naming model.json', async () => {
    await expectLoadError(join(work, 'nothing-here'), 'MODEL_NOT_FOUND', /nothing-here[\\/]model\.json$/, /not found/);
  });

  it('truncated weights file: MODEL_WEIGHTS_INVALID naming weights.bin', async () => {
    const dir = await copyOfSaved('truncated');
    await truncate(join(dir, 'weights.bin'), model.countParams() * 4 - 100);
    await expectLoadError(dir, 'MODEL_WEIGHTS_INVALID', /weights\.bin$/, /truncated/);
  });

  it('shape mismatch between manifest and model: MODEL_WEIGHTS_INVALID naming the weight', async () => {
    const dir = await copyOfSaved('shape');
    await editModelJson(dir, (json) => {
      const kernel = json.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'dense_1/kernel');
      kernel.shape = [32, 784]; // same byte length, wrong shape
    });
    await expectLoadError(dir, 'MODEL_WEIGHTS_INVALID', /model\.json$/, /dense_1\/kernel.*\[32, 784\].*\[784, 32\]/);
  });

  it('JSON garbage: MODEL_INVALID naming model.json', async () => {
    const dir = await copyOfSaved('garbage');
    await writeFile(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Sequential", ');
    await expectLoadError(dir, 'MODEL_INVALID', /model\.json$/, /not valid JSON/);
  });

  it('JSON that is not a model.json: MODEL_INVALID', async () => {
    const dir = await copyOfSaved('not-model-json');
    await writeFile(join(dir, 'model.json'), '[1, 2, 3]');
    await expectLoadError(dir, 'MODEL_INVALID', /model\.json$/, /no modelTopology/);
  });

  it('weightsManifest path traversal (../): UNSAFE_PATH, the outside file is never read', async () => {
    const dir = await copyOfSaved('traversal');
    await writeFile(join(work, 'outside.bin'), await readFile(join(dir, 'weights.bin')));
    await editModelJson(dir, (json) => (json.weightsManifest[0].paths = ['../outside.bin']));
    await expectLoadError(dir, 'UNSAFE_PATH', /model\.json$/, /outside the model directory/);
  });

  it('absolute weightsManifest path: UNSAFE_PATH', async () => {
    const dir = await copyOfSaved('absolute');
    await editModelJson(dir, (json) => (json.weightsManifest[0].paths = [join(dir, 'weights.bin')]));
    await expectLoadError(dir, 'UNSAFE_PATH', /model\.json$/, /outside/);
  });

  it('a weights file that is a symlink out of the directory: UNSAFE_PATH', async () => {
    const dir = await copyOfSaved('symlink');
    await writeFile(join(work, 'target.bin'), await readFile(join(dir, 'weights.bin')));
    await rm(join(dir, 'weights.bin'));
    await symlink(join(work, 'target.bin'), join(dir, 'weights.bin'));
    await expectLoadError(dir, 'UNSAFE_PATH', /model\.json$/, /outside/);
  });

  it('unknown dtype in the manifest: MODEL_WEIGHTS_INVALID', async () => {
    const dir = await copyOfSaved('dtype');
    await editModelJson(dir, (json) => (json.weightsManifest[0].weights[0].dtype = 'float64'));
    await expectLoadError(dir, 'MODEL_WEIGHTS_INVALID', /model\.json$/, /unsupported dtype "float64"/);
  });

  it('a tfjs graph model: UNSUPPORTED_FORMAT', async () => {
    const dir = await copyOfSaved('graph-model');
    await editModelJson(dir, (json) => (json.format = 'graph-model'));
    await expectLoadError(dir, 'UNSUPPORTED_FORMAT', /model\.json$/, /graph model/);
  });

  it('unknown layer class: UNSUPPORTED_LAYER naming the class', async () => {
    const dir = await copyOfSaved('unknown-layer');
    await editModelJson(dir, (json) => (json.modelTopology.config.layers[1].class_name = 'FancyDropout'));
    await expectLoadError(dir, 'UNSUPPORTED_LAYER', /model\.json$/, /unsupported layer FancyDropout \("dropout_1"\)/);
  });
});
