import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { DigitsError } from '../errors';
import { encodeIdx, parseIdx, type IdxArray } from '../idx';
import { MAX_IDX_BYTES } from '../limits';
import { gunzipIfNeeded } from './gunzip';
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
  const maxBytes = options.maxBytes ?? MAX_IDX_BYTES;
  const raw = await readRegularFile(path, { maxBytes, code: 'DATASET_FILE_MISSING', what: 'an IDX file' });
  return gunzipIfNeeded(raw, path, { maxBytes });
}

/** Reads and parses an IDX file, plain or gzip-compressed (detected by content, not name). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  return parseIdx(await readFileBytes(path), path);
}

/** Writes an IDX file atomically; `gzip: true` compresses it (name it `.gz` yourself). */
export async function writeIdxFile(path: string, array: IdxArray, options: { gzip?: boolean } = {}): Promise<void> {
  const bytes = encodeIdx(array);
  await writeFileAtomic(path, options.gzip ? asBytes(await gzipAsync(bytes)) : bytes);
}

/** Writes to a temp file beside `path`, then renames it over: readers never see half a file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new DigitsError('WRITE_FAILED', `cannot write file: ${(cause as Error).message}`, { file: path, cause });
  }
}
