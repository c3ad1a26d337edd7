import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DigitsError, type DigitsErrorCode } from '../errors';
import { fsErrorReason } from './fs-errors';

export interface ReadRegularFileOptions {
  /** Larger files are FILE_TOO_LARGE, refused before a byte is read. */
  maxBytes: number;
  /** The code for a missing or unreadable file (e.g. DATASET_FILE_MISSING, MODEL_NOT_FOUND). */
  code: DigitsErrorCode;
  /** What the file is, for the FILE_TOO_LARGE message ("an IDX file", "a model.json"). */
  what?: string;
}

// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; it changes
// nothing for regular files. (Windows has no FIFOs and no such flag.)
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a whole file, but only a regular one (after following links) and only up to `maxBytes`:
 * a link to /dev/zero, a FIFO, a socket or a directory is NOT_A_REGULAR_FILE instead of a read
 * that never ends. The type is checked on the opened descriptor, so a file swapped for a FIFO
 * after a check cannot slip through; a file that grows while read still yields at most its size
 * at opening.
 */
export async function readRegularFile(path: string, options: ReadRegularFileOptions): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DigitsError(options.code, missing ? 'file not found' : `cannot read file: ${fsErrorReason(cause)}`, { file: path, cause });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new DigitsError('NOT_A_REGULAR_FILE', `not a regular file but ${kindOf(info)}; only regular files are read`, { file: path });
    }
    if (info.size > options.maxBytes) {
      throw new DigitsError(
        'FILE_TOO_LARGE',
        `the file is ${info.size} bytes, more than the ${options.maxBytes} bytes accepted for ${options.what ?? 'this kind of file'}`,
        { file: path },
      );
    }
    const bytes = new Uint8Array(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break; // shrank while read: what is there is what we got
      filled += bytesRead;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } catch (cause) {
    if (cause instanceof DigitsError) throw cause;
    throw new DigitsError(options.code, `cannot read file: ${fsErrorReason(cause)}`, { file: path, cause });
  } finally {
    await handle.close();
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a plain file';
}
