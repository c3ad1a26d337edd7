import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
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

  it('an unknown format is refused before anything is written', async () => {
    const path = join(work, 'kept.h5');
    await writeFile(path, 'previous contents');
    await expect(writeKerasFile(model, path, 'pb' as never)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(await readFile(path, 'utf8')).toBe('previous contents');
    expect((await readdir(work)).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  // failing half-way (after the temp file is written): writeFileAtomic's own tests in
  // @digits/mnist-data (src/node/files.test.ts), which writeKerasFile writes through

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

describe('Keras file targets that are links, FIFOs or in new directories', () => {
  it('a link to a Keras file is written through: the file it points to is replaced (with overwrite), the link stays', async () => {
    const dir = join(work, 'linked');
    await mkdir(dir);
    const real = join(dir, 'real.h5');
    await writeKerasFile(smallMlp(1), real);
    const before = await readFile(real);
    await symlink(real, join(dir, 'current.h5'));
    await expect(writeKerasFile(model, join(dir, 'current.h5'))).rejects.toMatchObject({ code: 'MODEL_EXISTS', file: join(dir, 'current.h5') });
    await writeKerasFile(model, join(dir, 'current.h5'), 'h5', { overwrite: true });
    expect(await readlink(join(dir, 'current.h5'))).toBe(real);
    expect((await readFile(real)).equals(before)).toBe(false);
    const back = await readKerasFile(real);
    expect(weightBytes(back)).toEqual(weightBytes(model));
    back.dispose();
    expect((await readdir(dir)).sort()).toEqual(['current.h5', 'real.h5']);
  });

  it('a FIFO at the target is refused at once, and a link to nothing is refused', async () => {
    const dir = join(work, 'special');
    await mkdir(dir);
    expect(spawnSync('mkfifo', [join(dir, 'pipe.h5')]).status).toBe(0);
    await expect(writeKerasFile(model, join(dir, 'pipe.h5'), 'h5', { overwrite: true })).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', message: expect.stringContaining('exists and is not a Keras model') });
    expect((await lstat(join(dir, 'pipe.h5'))).isFIFO()).toBe(true);
    await symlink(join(dir, 'nowhere.h5'), join(dir, 'dangling.h5'));
    await expect(writeKerasFile(model, join(dir, 'dangling.h5'))).rejects.toMatchObject({ code: 'TARGET_NOT_OURS', message: expect.stringContaining('is a symbolic link to a path that does not exist') });
    expect((await readdir(dir)).sort()).toEqual(['dangling.h5', 'pipe.h5']);
  });
});
