import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { assertString } from '../arguments';
import { DigitsError } from '../errors';
import { encodeIdx, parseIdx, type IdxArray } from '../idx';
import { MAX_IDX_BYTES } from '../limits';
import { gunzipIfNeeded } from './gunzip';
import { fsErrorReason } from './fs-errors';
import { readRegularFile } from './regular-file';

export { gunzipIfNeeded, type GunzipOptions } from './gunzip';

const gzipAsync = promisify(gzipCallback);

const asBytes = (buffer: Buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/**
 * Reads a data file's bytes, gunzipped when compressed. Only a regular file is read (a FIFO or a
 * link to /dev/zero is NOT_A_REGULAR_FILE), at most `maxBytes` (default MAX_IDX_BYTES, 256 MiB)
 * on disk or inflated; a missing file is DATASET_FILE_MISSING.
 */
export async function readFileBytes(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
  assertString(path, 'readFileBytes: path');
  const maxBytes = options.maxBytes ?? MAX_IDX_BYTES;
  const raw = await readRegularFile(path, { maxBytes, code: 'DATASET_FILE_MISSING', what: 'an IDX file' });
  return gunzipIfNeeded(raw, path, { maxBytes });
}

/** Reads and parses an IDX file, plain or gzip-compressed (detected by content, not name). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  assertString(path, 'readIdxFile: path');
  return parseIdx(await readFileBytes(path), path);
}

/** Writes an IDX file atomically; `gzip: true` compresses it (name it `.gz` yourself). */
export async function writeIdxFile(path: string, array: IdxArray, options: { gzip?: boolean } = {}): Promise<void> {
  const bytes = encodeIdx(array);
  await writeFileAtomic(path, options.gzip ? asBytes(await gzipAsync(bytes)) : bytes);
}

const ATOMIC_TEMP_SUFFIX = '.tmp';
/** `<name>.<pid>.<8 hex>.tmp`: the temp file writeFileAtomic writes beside `<name>`. */
const ATOMIC_TEMP_NAME = /^(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * For a file name in a directory: the target and writer pid if it is one of writeFileAtomic's temp
 * files (left behind only when its process was killed mid-write), else undefined. Lets a writer
 * that owns the directory clean up after a killed predecessor.
 */
export function parseAtomicTempName(name: string): { target: string; pid: number } | undefined {
  const match = ATOMIC_TEMP_NAME.exec(name);
  return match ? { target: match[1]!, pid: Number(match[2]) } : undefined;
}

/**
 * Writes to a temp file beside `path`, then renames it over: readers never see half a file, and a
 * write that fails at any point (disk full, a failing stream, a directory in the way) leaves the
 * old file as it was and removes the temp file. `data` may be bytes or chunks arriving over time.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  assertString(path, 'writeFileAtomic: path');
  if (!(data instanceof Uint8Array) && typeof (data as AsyncIterable<Uint8Array>)?.[Symbol.asyncIterator] !== 'function') {
    throw new DigitsError('BAD_ARGUMENT', 'writeFileAtomic: data must be a Uint8Array or an async iterable of Uint8Array chunks', { file: path });
  }
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}${ATOMIC_TEMP_SUFFIX}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    if (cause instanceof DigitsError) throw cause;
    throw new DigitsError('WRITE_FAILED', `cannot write file: ${fsErrorReason(cause)}`, { file: path, cause });
  }
}
