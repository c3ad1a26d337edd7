import { existsSync } from 'node:fs';
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  classCounts,
  embeddedMnistDir,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_SHA256,
  loadIdxDirectory,
  loadMnist,
  MNIST_SHA256,
  readIdxFile,
  SYSTEM_FASHION_MNIST_DIR,
  writeIdxFile,
} from '../node';
import { expectRealMnist, tempDir } from '../test-utils/real-mnist';

describe('IDX files on disk', () => {
  it('writes and reads back plain and gzipped files atomically, leaving no temp files', async () => {
    const dir = await tempDir('idx');
    const array = { dtype: 'int16' as const, dims: [2, 2], data: Int16Array.of(-5, 300, 0, 7) };
    await writeIdxFile(join(dir, 'a-idx2-short'), array);
    await writeIdxFile(join(dir, 'a-idx2-short.gz'), array, { gzip: true });
    const plain = await readIdxFile(join(dir, 'a-idx2-short'));
    const gz = await readIdxFile(join(dir, 'a-idx2-short.gz'));
    expect([...plain.data]).toEqual([-5, 300, 0, 7]);
    expect(gz).toEqual(plain);
    expect((await readdir(dir)).sort()).toEqual(['a-idx2-short', 'a-idx2-short.gz']);
  });

  it('reports a missing file and a corrupt gzip with the path', async () => {
    const dir = await tempDir('idx-bad');
    await expect(readIdxFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'DATASET_FILE_MISSING', file: join(dir, 'nope') });
    await writeFile(join(dir, 'broken.gz'), gzipSync(Buffer.alloc(1000)).subarray(0, 20));
    await expect(readIdxFile(join(dir, 'broken.gz'))).rejects.toThrow(/broken\.gz: corrupt gzip data/);
  });
});

describe('directory source', () => {
  it('loads the real MNIST from a directory mixing both spellings, plain and gzip', async () => {
    const src = embeddedMnistDir()!;
    const dir = await tempDir('mnist-dir');
    await copyFile(join(src, 'train-images-idx3-ubyte'), join(dir, 'train-images.idx3-ubyte'));
    await copyFile(join(src, 't10k-images-idx3-ubyte'), join(dir, 't10k-images-idx3-ubyte'));
    const labels = await readIdxFile(join(src, 'train-labels-idx1-ubyte'));
    await writeIdxFile(join(dir, 'train-labels.idx1-ubyte.gz'), labels, { gzip: true });
    await writeIdxFile(join(dir, 't10k-labels-idx1-ubyte.gz'), await readIdxFile(join(src, 't10k-labels-idx1-ubyte')), { gzip: true });

    const data = await loadMnist({ dataset: dir });
    expect(data.name).toBe(dir);
    expectRealMnist(data);
    const checked = await loadIdxDirectory(dir, { name: 'mnist', sha256: MNIST_SHA256 });
    expect(checked.checksums?.['train-labels-idx1-ubyte']).toBe(MNIST_SHA256.trainLabels);
  });

  it('names the directory and the spellings it looked for when a file is missing', async () => {
    const dir = await tempDir('partial');
    await copyFile(join(embeddedMnistDir()!, 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
    await expect(loadIdxDirectory(dir)).rejects.toThrow(
      new RegExp(`${dir}: no train-images-idx3-ubyte / train-images-idx3-ubyte.gz / train-images.idx3-ubyte / train-images.idx3-ubyte.gz`),
    );
  });

  it('rejects files whose SHA-256 does not match', async () => {
    const dir = await tempDir('mismatch');
    const src = embeddedMnistDir()!;
    for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      await copyFile(join(src, f), join(dir, f));
    }
    await expect(loadIdxDirectory(dir, { sha256: { ...MNIST_SHA256, testLabels: '0'.repeat(64) } })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      file: join(dir, 't10k-labels-idx1-ubyte'),
    });
  });

  const fashion = existsSync(SYSTEM_FASHION_MNIST_DIR);
  if (!fashion) console.log(`skipping Fashion-MNIST: ${SYSTEM_FASHION_MNIST_DIR} does not exist (apt-get install dataset-fashion-mnist)`);
  it.skipIf(!fashion)('loads Fashion-MNIST (.gz) from the system directory: 6,000 per class, verified', async () => {
    const data = await loadMnist({ dataset: 'fashion-mnist', cacheDir: await tempDir('fashion') });
    expect(data.name).toBe('fashion-mnist');
    expect(data.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    expect(data.train.count).toBe(60000);
    expect(classCounts(data.train.labels)).toEqual(new Array(10).fill(6000));
    expect(classCounts(data.test.labels)).toEqual(new Array(10).fill(1000));
    expect(data.checksums?.['train-images-idx3-ubyte']).toBe(FASHION_MNIST_SHA256.trainImages);
    const byPath = await loadIdxDirectory(SYSTEM_FASHION_MNIST_DIR);
    expect(byPath.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
  });
});
