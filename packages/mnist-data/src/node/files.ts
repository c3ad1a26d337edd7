import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { DigitsError } from '../errors';
import { encodeIdx, isGzip, parseIdx, type IdxArray } from '../idx';

const gunzipAsync = promisify(gunzipCallback);
const gzipAsync = promisify(gzipCallback);

const asBytes = (buffer: Buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** Gunzips `bytes` when they start with the gzip magic, else returns them unchanged. */
export async function gunzipIfNeeded(bytes: Uint8Array, file?: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return asBytes(await gunzipAsync(bytes));
  } catch (cause) {
    throw new DigitsError('IDX_SIZE_MISMATCH', `corrupt gzip data: ${(cause as Error).message}`, { file, cause });
  }
}

/** Reads a file's bytes, gunzipped when compressed; a missing file is DATASET_FILE_MISSING. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DigitsError('DATASET_FILE_MISSING', 'file not found', { file: path, cause });
    throw new DigitsError('DATASET_FILE_MISSING', `cannot read file: ${(cause as Error).message}`, { file: path, cause });
  }
  return gunzipIfNeeded(asBytes(raw), path);
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
