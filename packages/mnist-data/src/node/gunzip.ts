import { createGunzip } from 'node:zlib';
import { DigitsError } from '../errors';
import { isGzip, readIdxHeader } from '../idx';
import { IDX_GUNZIP_SLACK, MAX_IDX_BYTES } from '../limits';

export interface GunzipOptions {
  /** Ceiling on the inflated size (default MAX_IDX_BYTES, 256 MiB). */
  maxBytes?: number;
}

/**
 * Gunzips `bytes` when they start with the gzip magic, else returns them unchanged. The output is
 * bounded before it is produced: once the first inflated bytes show an IDX header, inflation stops
 * past the size that header declares (plus IDX_GUNZIP_SLACK, so parseIdx can still name trailing
 * bytes), and a header declaring more than `maxBytes` is SHAPE_LIMIT at once; anything else stops
 * at `maxBytes`. So a 2 MB gzip of zeros that would inflate to 2 GiB costs a few kilobytes.
 */
export function gunzipIfNeeded(bytes: Uint8Array, file?: string, options: GunzipOptions = {}): Promise<Uint8Array> {
  if (!isGzip(bytes)) return Promise.resolve(bytes);
  const maxBytes = options.maxBytes ?? MAX_IDX_BYTES;
  const where = file === undefined ? {} : { file };
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    let chunks: Buffer[] = [];
    let length = 0;
    let limit = maxBytes;
    let limitReason = `the ${maxBytes}-byte limit`;
    let out: Uint8Array | undefined; // allocated once the header says how large the data is
    let done = false;
    const fail = (error: DigitsError) => {
      if (done) return;
      done = true;
      gunzip.destroy();
      reject(error);
    };
    const readHeader = () => {
      const head = Buffer.concat(chunks);
      chunks = [head];
      if (head.length < 4) return;
      if (head[0] !== 0 || head[1] !== 0) {
        out = new Uint8Array(0); // not IDX: the plain ceiling applies, parseIdx reports the magic
        return;
      }
      if (head.length < 4 + 4 * head[3]!) return;
      let header;
      try {
        header = readIdxHeader(head, file);
      } catch {
        out = new Uint8Array(0); // an unknown dtype: parseIdx reports it
        return;
      }
      if (header.byteLength > maxBytes) {
        fail(new DigitsError('SHAPE_LIMIT', `the IDX header [${header.dims.join(', ')}] of ${header.dtype} declares ${header.byteLength} bytes, more than the ${maxBytes}-byte limit`, where));
        return;
      }
      limit = Math.min(maxBytes, header.byteLength + IDX_GUNZIP_SLACK);
      limitReason = `the ${header.byteLength} bytes its IDX header [${header.dims.join(', ')}] declares`;
      if (head.length > limit) return; // already past it: the caller reports the overflow
      out = new Uint8Array(limit);
      out.set(head);
      chunks = [];
    };
    const overflow = () => new DigitsError('DECOMPRESSION_LIMIT', `the gzip data inflates to more than ${limitReason}; stopped at ${limit} bytes`, where);
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      if (out === undefined) {
        chunks.push(chunk);
        length += chunk.length;
        readHeader();
        if (!done && length > limit) fail(overflow());
        return;
      }
      if (length + chunk.length > limit) {
        fail(overflow());
        return;
      }
      if (out.length > 0) out.set(chunk, length);
      else chunks.push(chunk);
      length += chunk.length;
    });
    gunzip.on('error', (cause) => fail(new DigitsError('IDX_SIZE_MISMATCH', `corrupt gzip data: ${cause.message}`, { ...where, cause })));
    gunzip.on('end', () => {
      if (done) return;
      done = true;
      resolve(out !== undefined && out.length > 0 ? out.subarray(0, length) : new Uint8Array(Buffer.concat(chunks)));
    });
    gunzip.end(bytes);
  });
}
