import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { IDX_FILE_NAMES, type IdxFileNames, type IdxFiles } from '../dataset';
import { DigitsError, isDigitsError } from '../errors';
import { MNIST_FILE_SIZES } from '../limits';
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
  /**
   * Uncompressed size of each file (defaults to MNIST's, which Fashion-MNIST shares). A reply
   * larger than that (or than its gzip could be) is stopped as it streams in: DOWNLOAD_TOO_LARGE.
   */
  sizes?: Readonly<Record<keyof IdxFiles, number>>;
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
    const bytes = await fetchVerified(file, sha256[key], (options.sizes ?? MNIST_FILE_SIZES)[key], mirrors, options);
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
  size: number,
  mirrors: readonly string[],
  options: DownloadOptions,
): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  const failures: string[] = [];
  let corrupted = false;
  let tooLarge = false;
  for (const mirror of mirrors) {
    for (const url of [new URL(`${file}.gz`, withSlash(mirror)).href, new URL(file, withSlash(mirror)).href]) {
      try {
        if (!/^https?:$/.test(new URL(url).protocol)) throw new Error('only http(s) URLs are supported');
        const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 120_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        // no file name: the message below names the URL once
        const bytes = await gunzipIfNeeded(await readBody(response, maxBodyBytes(size)), undefined, { maxBytes: size });
        const found = sha256Hex(bytes);
        if (found === expected) return bytes;
        corrupted = true;
        failures.push(`${url} (SHA-256 ${found}, expected ${expected})`);
      } catch (error) {
        if (isDigitsError(error) && LIMIT_CODES.has(error.code)) tooLarge = true;
        failures.push(`${url} (${describe(error)})`);
      }
    }
  }
  throw new DigitsError(
    corrupted ? 'CHECKSUM_MISMATCH' : tooLarge ? 'DOWNLOAD_TOO_LARGE' : 'DOWNLOAD_FAILED',
    `could not download a valid copy from any mirror; tried: ${failures.join('; ') || 'no mirrors given'}`,
    { file },
  );
}

const LIMIT_CODES = new Set(['DOWNLOAD_TOO_LARGE', 'DECOMPRESSION_LIMIT', 'SHAPE_LIMIT']);

/** The most a reply for a file of `size` bytes may carry: the file itself, or its gzip (which can exceed it a little when the data does not compress). */
const maxBodyBytes = (size: number) => size + Math.ceil(size / 100) + 64 * 1024;

/**
 * Reads a response body as it streams in, stopping (and cancelling the transfer) once it passes
 * `maxBytes`: a declared Content-Length over the cap is refused before any byte is read. Counts
 * the bytes fetch hands over, so a Content-Encoding: gzip reply is capped after decoding too.
 */
async function readBody(response: Response, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (found: string) => new DigitsError('DOWNLOAD_TOO_LARGE', `the reply is ${found}, more than the ${maxBytes} bytes this file can be`);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(`${declared} bytes (Content-Length)`);
  }
  if (response.body == null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel();
      throw tooLarge(`over ${length} bytes and still coming`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length);
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

function describe(error: unknown): string {
  const { message, cause } = error as Error & { cause?: { message?: string; code?: string } };
  const detail = cause?.code ?? cause?.message;
  return detail ? `${message}: ${detail}` : message;
}
