import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as browser from './index';
import { createModelCard, exportKeras, importKeras, loadModel, readKerasFile, saveModel, writeKerasFile, fileSystemHandler } from './node';
import { fixturePath } from './test-utils/fixtures';
import { smallMlp } from './test-utils/models';

// JavaScript callers that pass the wrong kind of value get BAD_ARGUMENT naming the parameter.
const badArgument = (message: RegExp) => expect.objectContaining({ name: 'DigitsError', code: 'BAD_ARGUMENT', message: expect.stringMatching(message) });

let work: string;
const model = smallMlp(2);
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-arguments-'));
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('public entry points check their arguments', () => {
  it('importKeras(path) says to use readKerasFile instead of failing on bytes.subarray', async () => {
    await expect(importKeras(fixturePath('keras1.2.2_tf_dense4x6.full.h5') as never)).rejects.toEqual(
      badArgument(/^importKeras: bytes must be a Uint8Array, got a string \(to import a file by its path use readKerasFile/),
    );
    await expect(importKeras(new Uint8Array(4), 'model.h5' as never)).rejects.toEqual(badArgument(/options must be an object, got a string/));
    await expect(importKeras(new Uint8Array(4), { configJson: 42 as never })).rejects.toEqual(badArgument(/configJson must be .* got a number/));
  });

  it('exportKeras, saveModel, loadModel (both entries), the file functions', async () => {
    await expect(exportKeras({} as never, 'h5')).rejects.toEqual(badArgument(/exportKeras: model must be a tfjs LayersModel/));
    await expect(exportKeras(model, 'pb' as never)).rejects.toEqual(badArgument(/exportKeras: format must be one of "h5", "keras", got "pb"/));
    for (const entry of [browser, { saveModel, loadModel }]) {
      await expect(entry.saveModel(null as never, work)).rejects.toEqual(badArgument(/saveModel: model must be a tfjs LayersModel .*got null/));
      await expect(entry.saveModel(model, 42 as never)).rejects.toEqual(badArgument(/saveModel: target .* got a number/));
      await expect(entry.loadModel(undefined as never)).rejects.toEqual(badArgument(/loadModel: source .* got undefined/));
      await expect(entry.loadModel([] as never)).rejects.toEqual(badArgument(/got an empty list/));
    }
    await expect(readKerasFile(new Uint8Array(3) as never)).rejects.toEqual(badArgument(/readKerasFile: path must be a non-empty string, got a Uint8Array/));
    await expect(writeKerasFile(model, '' as never)).rejects.toEqual(badArgument(/writeKerasFile: path/));
    expect(() => fileSystemHandler({} as never)).toThrow(badArgument(/fileSystemHandler: path/));
    expect(createModelCard(model).parameters).toBe(model.countParams());
  });
});

describe('a weight stored with another dtype than the model variable', () => {
  it('a kernel labelled int32 in model.json is MODEL_WEIGHTS_INVALID naming it, no tfjs error', async () => {
    const dir = join(work, 'int32');
    await saveModel(model, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights[0].dtype = 'int32';
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    const before = tf.memory().numTensors;
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'MODEL_WEIGHTS_INVALID',
      message: `${join(dir, 'model.json')}: weight "dense_1/kernel" is stored as int32 in the manifest but the model's variable is float32`,
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
