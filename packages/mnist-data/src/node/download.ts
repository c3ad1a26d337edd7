import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { IDX_FILE_NAMES, type IdxFileNames, type IdxFiles } from '../dataset';
import { DigitsError } from '../errors';
import { FASHION_MNIST_SHA256, MNIST_SHA256, sha256Hex, verifyFiles } from './checksums';
import { gunzipIfNeeded, readFileBytes, writeFileAtomic } from './files';

/** HTTPS mirrors holding the gzipped IDX files under their canonical names. */
export const MNIST_MIRRORS: readonly string[] = [
  'https://storage.googleapis.com/cvdf-datasets/mnist/',
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
];

export const FASHION_MNIST_MIRRORS: readonly string[] = [
  'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

export type KnownDataset = 'mnist' | 'fashion-mnist';

export const KNOWN_SHA256: Readonly<Record<KnownDataset, Readonly<IdxFileNames>>> = {
  mnist: MNIST_SHA256,
  'fashion-mnist': FASHION_MNIST_SHA256,
};

export interface DownloadOptions {
  /** Which dataset; decides the default mirrors, checksums and the cache sub-directory. */
  dataset?: KnownDataset;
  /** Base URLs, tried in order. Each is asked for `<file>.gz`, then `<file>`. http: is accepted because every file is SHA-256 verified. */
  mirrors?: readonly string[];
  /** The cache root; files land in `<cacheDir>/<dataset>/` uncompressed. */
  cacheDir: string;
  /** Expected SHA-256 of each uncompressed file (defaults to the known dataset's). */
  sha256?: Readonly<IdxFileNames>;
  /** Per-request timeout in milliseconds (default 120 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Makes sure the four files of a dataset are in the cache, downloading the missing ones from the
 * mirrors. Every download is gunzipped if needed, checked against its SHA-256 before anything is
 * written, then written to a temp file and renamed, so a failed or corrupted download leaves
 * nothing behind. Returns the directory holding the files.
 */
export async function downloadDataset(options: DownloadOptions): Promise<string> {
  const dataset = options.dataset ?? 'mnist';
  const mirrors = options.mirrors ?? (dataset === 'mnist' ? MNIST_MIRRORS : FASHION_MNIST_MIRRORS);
  const sha256 = options.sha256 ?? KNOWN_SHA256[dataset];
  const dir = join(options.cacheDir, dataset);
  for (const key of Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles)[]) {
    const file = IDX_FILE_NAMES[key];
    const target = join(dir, file);
    if (await isCachedAndValid(target, sha256[key], options.cacheDir)) continue;
    const bytes = await fetchVerified(file, sha256[key], mirrors, options);
    await writeFileAtomic(target, bytes);
    await verifyFiles([{ path: target, bytes, expected: sha256[key] }], options.cacheDir);
  }
  return dir;
}

async function isCachedAndValid(path: string, expected: string, cacheDir: string): Promise<boolean> {
  if (!(await access(path).then(() => true, () => false))) return false;
  try {
    await verifyFiles([{ path, bytes: await readFileBytes(path), expected }], cacheDir);
    return true;
  } catch {
    return false; // a damaged cache entry is replaced by a fresh download
  }
}

async function fetchVerified(
  file: string,
  expected: string,
  mirrors: readonly string[],
  options: DownloadOptions,
): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  const failures: string[] = [];
  let corrupted = false;
  for (const mirror of mirrors) {
    for (const url of [new URL(`${file}.gz`, withSlash(mirror)).href, new URL(file, withSlash(mirror)).href]) {
      try {
        if (!/^https?:$/.test(new URL(url).protocol)) throw new Error('only http(s) URLs are supported');
        const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const bytes = await gunzipIfNeeded(new Uint8Array(await response.arrayBuffer()), url);
        const found = sha256Hex(bytes);
        if (found === expected) return bytes;
        corrupted = true;
        failures.push(`${url} (SHA-256 ${found}, expected ${expected})`);
      } catch (error) {
        failures.push(`${url} (${describe(error)})`);
      }
    }
  }
  throw new DigitsError(
    corrupted ? 'CHECKSUM_MISMATCH' : 'DOWNLOAD_FAILED',
    `could not download a valid copy from any mirror; tried: ${failures.join('; ') || 'no mirrors given'}`,
    { file },
  );
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

function describe(error: unknown): string {
  const { message, cause } = error as Error & { cause?: { message?: string; code?: string } };
  const detail = cause?.code ?? cause?.message;
  return detail ? `${message}: ${detail}` : message;
}
