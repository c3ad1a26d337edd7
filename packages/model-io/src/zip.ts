import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { concatBytes, DigitsError } from '@digits/mnist-data';

export interface ZipContents {
  /** The wanted members found, inflated. */
  members: Map<string, Uint8Array>;
  /** Every member name, in archive order (for messages). */
  names: string[];
}

// Inflating 16 KiB of deflate data yields at most ~16 MiB (deflate's ratio is under 1:1032), so a
// member is stopped within that much of its cap.
const PUSH_BYTES = 16 * 1024;

/**
 * Reads only the `wanted` members of a zip (name -> largest accepted size in bytes); the others
 * are skipped without inflating a byte. A wanted member that declares more than its limit is
 * refused from its header, and since declared sizes can lie, inflation also stops as soon as the
 * real output passes min(declared, limit): DECOMPRESSION_LIMIT either way.
 */
export function readZipMembers(bytes: Uint8Array, wanted: Readonly<Record<string, number>>, file: string): ZipContents {
  const members = new Map<string, Uint8Array>();
  const names: string[] = [];
  let failure: DigitsError | undefined;
  const fail = (error: DigitsError) => {
    failure ??= error;
  };
  const unzip = new Unzip((entry: UnzipFile) => {
    names.push(entry.name);
    const limit = Object.hasOwn(wanted, entry.name) ? wanted[entry.name]! : undefined;
    if (limit === undefined || failure) return; // never started: fflate skips its data
    if (entry.originalSize !== undefined && entry.originalSize > limit) {
      fail(new DigitsError('DECOMPRESSION_LIMIT', `zip member ${entry.name} declares ${entry.originalSize} bytes, more than the ${limit} bytes accepted for it`, { file }));
      return;
    }
    const cap = Math.min(limit, entry.originalSize ?? limit);
    const chunks: Uint8Array[] = [];
    let length = 0;
    entry.ondata = (error, data, final) => {
      if (failure) return;
      if (error) {
        fail(new DigitsError('NOT_ZIP', `zip member ${entry.name} could not be inflated: ${error.message}`, { file, cause: error }));
        return;
      }
      length += data.length;
      if (length > cap) {
        fail(new DigitsError('DECOMPRESSION_LIMIT', `zip member ${entry.name} inflates to more than the ${cap} bytes ${cap === entry.originalSize ? 'it declares' : 'accepted for it'}`, { file }));
        entry.terminate();
        return;
      }
      chunks.push(data);
      if (final) members.set(entry.name, concatBytes(chunks, length));
    };
    entry.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let offset = 0; offset < bytes.length && !failure; offset += PUSH_BYTES) {
      unzip.push(bytes.subarray(offset, offset + PUSH_BYTES), offset + PUSH_BYTES >= bytes.length);
    }
  } catch (cause) {
    if (cause instanceof DigitsError) throw cause;
    fail(new DigitsError('NOT_ZIP', `the zip could not be read: ${(cause as Error).message}`, { file, cause }));
  }
  if (failure) throw failure;
  return { members, names };
}
