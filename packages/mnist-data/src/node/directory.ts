import { access, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  datasetFromIdx,
  FASHION_MNIST_CLASS_NAMES,
  IDX_FILE_NAMES,
  MNIST_CLASS_NAMES,
  type Dataset,
  type IdxFileNames,
  type IdxFiles,
} from '../dataset';
import { DigitsError } from '../errors';
import { verifyFiles } from './checksums';
import { readFileBytes } from './files';
import { assertString } from '../arguments';

const FILE_KEYS = Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles)[];

/** Names a file may have on disk: `train-images-idx3-ubyte` or `train-images.idx3-ubyte`, plain or `.gz`. */
export function idxFileCandidates(canonical: string): string[] {
  const dotted = canonical.replace(/-(idx\d-ubyte)$/, '.$1');
  return [canonical, `${canonical}.gz`, dotted, `${dotted}.gz`];
}

/** Finds the four IDX files in `dir`, whichever spelling each uses. */
export async function findIdxFiles(dir: string): Promise<IdxFileNames> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new DigitsError('DATASET_NOT_FOUND', 'dataset directory not found', { file: dir });
  }
  const found: Partial<IdxFileNames> = {};
  for (const key of FILE_KEYS) {
    const candidates = idxFileCandidates(IDX_FILE_NAMES[key]);
    for (const candidate of candidates) {
      const path = join(dir, candidate);
      if (await access(path).then(() => true, () => false)) {
        found[key] = path;
        break;
      }
    }
    if (found[key] === undefined) {
      throw new DigitsError('DATASET_FILE_MISSING', `no ${candidates.join(' / ')} in this directory`, { file: dir });
    }
  }
  return found as IdxFileNames;
}

export interface DirectoryOptions {
  name?: string;
  classNames?: readonly string[];
  /** Expected SHA-256 of each uncompressed file; mismatches are CHECKSUM_MISMATCH. */
  sha256?: Readonly<IdxFileNames>;
  /** Where to remember successful checks (see verifyFiles). */
  cacheDir?: string;
}

/**
 * Loads a directory of the four MNIST-layout IDX files (plain or gzip). The name defaults to the
 * directory; class names default to Fashion-MNIST's when the directory name says "fashion", else digits.
 */
export async function loadIdxDirectory(dir: string, options: DirectoryOptions | string = {}): Promise<Dataset> {
  assertString(dir, 'loadIdxDirectory: dir');
  const opts = typeof options === 'string' ? { name: options } : options;
  const root = resolve(dir);
  const paths = await findIdxFiles(root);
  const files = Object.fromEntries(
    await Promise.all(FILE_KEYS.map(async (key) => [key, await readFileBytes(paths[key])] as const)),
  ) as unknown as IdxFiles;
  let checksums: Record<string, string> | undefined;
  if (opts.sha256) {
    const expected = opts.sha256;
    const sums = await verifyFiles(
      FILE_KEYS.map((key) => ({ path: paths[key], bytes: files[key], expected: expected[key] })),
      opts.cacheDir,
    );
    checksums = Object.fromEntries(FILE_KEYS.map((key, i) => [IDX_FILE_NAMES[key], sums[i]!]));
  }
  const classNames = opts.classNames ?? (/fashion/i.test(basename(root)) ? FASHION_MNIST_CLASS_NAMES : MNIST_CLASS_NAMES);
  const dataset = datasetFromIdx(opts.name ?? root, classNames, files, paths);
  if (checksums) dataset.checksums = checksums;
  return dataset;
}
