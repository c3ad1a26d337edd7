import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectContainer } from '../magic';
import { readKerasFile, writeKerasFile } from '../node';
import { fixturePath } from '../test-utils/fixtures';
import { smallMlp, weightBytes } from '../test-utils/models';

let work: string;
const model = smallMlp(21);
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-keras-'));
});
afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('Keras files on disk', () => {
  it('reads a save_weights file with its to_json() config given as a path', async () => {
    const imported = await readKerasFile(fixturePath('keras1.2.1_tf_mnist_mlp.weights.h5'), { configJson: fixturePath('keras1.2.1_tf_mnist_mlp.config.json') });
    expect(imported.countParams()).toBe(669_706);
    imported.dispose();
  });

  it('writes .h5 or .keras by extension, atomically, and reads them back bit for bit', async () => {
    for (const name of ['model.h5', 'model.keras']) {
      const path = join(work, name);
      await writeKerasFile(model, path);
      expect(detectContainer(new Uint8Array(await readFile(path)))).toBe(name.endsWith('.h5') ? 'hdf5' : 'zip');
      const back = await readKerasFile(path);
      expect(weightBytes(back)).toEqual(weightBytes(model));
      back.dispose();
    }
    expect((await readdir(work)).sort()).toEqual(['model.h5', 'model.keras']);
  });

  it('a failed export leaves the existing file untouched and no temp file', async () => {
    const path = join(work, 'kept.h5');
    await writeFile(path, 'previous contents');
    await expect(writeKerasFile(model, path, 'pb' as never)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(await readFile(path, 'utf8')).toBe('previous contents');
    expect((await readdir(work)).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('a missing file is MODEL_NOT_FOUND naming it', async () => {
    const path = join(work, 'absent.h5');
    await expect(readKerasFile(path)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', file: path });
  });

  it('leaks no tensors when an import fails', async () => {
    const before = tf.memory().numTensors;
    // a 4-6 dense net's weights against the 784-512-512-10 architecture
    await expect(readKerasFile(fixturePath('keras1.2.2_tf_dense4x6.full.h5'), { configJson: fixturePath('keras1.2.1_tf_mnist_mlp.config.json') })).rejects.toMatchObject({ code: 'MODEL_WEIGHTS_INVALID' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('replaces an existing Keras file only with overwrite, and a file that is not a Keras model never', async () => {
    const path = join(work, 'existing.h5');
    await writeKerasFile(model, path);
    const before = await readFile(path);
    await expect(writeKerasFile(model, path)).rejects.toMatchObject({ code: 'MODEL_EXISTS', file: path });
    expect(await readFile(path)).toEqual(before);
    await writeKerasFile(model, path, 'h5', { overwrite: true });
    const notes = join(work, 'notes.keras');
    await writeFile(notes, 'my notes');
    await expect(writeKerasFile(model, notes, 'keras', { overwrite: true })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', file: notes });
    expect(await readFile(notes, 'utf8')).toBe('my notes');
    await rm(notes);
    await rm(path);
  });
});
