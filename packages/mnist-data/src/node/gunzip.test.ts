import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { embeddedMnistDir, gunzipIfNeeded, IDX_GUNZIP_SLACK, parseIdx } from '../node';

const MiB = 1024 * 1024;
const labels = new Uint8Array(readFileSync(join(embeddedMnistDir()!, 't10k-labels-idx1-ubyte')));

/** gzip of `head` followed by `zeros` zero bytes: gzip members concatenate, so 1 GiB costs ~1 MB and milliseconds. */
function gzipBomb(head: Uint8Array, zeros: number): Uint8Array {
  const block = gzipSync(Buffer.alloc(16 * MiB));
  const parts: Uint8Array[] = [gzipSync(head)];
  for (let left = zeros; left > 0; left -= 16 * MiB) parts.push(left >= 16 * MiB ? block : gzipSync(Buffer.alloc(left)));
  return Buffer.concat(parts);
}

/** An IDX uint8 header alone (what a bomb starts with). */
function header(dims: number[]): Uint8Array {
  const bytes = Buffer.alloc(4 + 4 * dims.length);
  bytes[2] = 0x08;
  bytes[3] = dims.length;
  dims.forEach((d, i) => bytes.writeUInt32BE(d, 4 + 4 * i));
  return bytes;
}

describe('gunzipIfNeeded: output bounded by the IDX header and a ceiling', () => {
  it('inflates the real labels byte for byte, and passes plain bytes through', async () => {
    expect(Buffer.from(await gunzipIfNeeded(gzipSync(labels), 'labels.gz')).equals(labels)).toBe(true);
    expect(await gunzipIfNeeded(labels)).toBe(labels);
  });

  it('stops a gzip that inflates past its IDX header (2 MB -> 1 GiB) within the declared size', async () => {
    const bomb = gzipBomb(header([10000, 28, 28]), 1024 * MiB);
    expect(bomb.length).toBeLessThan(2 * MiB);
    const before = process.memoryUsage().rss;
    const error = await gunzipIfNeeded(bomb, 'bomb.gz').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DECOMPRESSION_LIMIT', file: 'bomb.gz' });
    expect((error as Error).message).toMatch(/inflates to more than the 7840016 bytes its IDX header \[10000, 28, 28\] declares/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * MiB);
  });

  it('refuses a header that declares more than the ceiling at once (SHAPE_LIMIT)', async () => {
    const error = await gunzipIfNeeded(gzipBomb(header([2_739_000, 28, 28]), 64 * MiB), 'huge.gz').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SHAPE_LIMIT' });
    expect((error as Error).message).toMatch(/header \[2739000, 28, 28\] of uint8 declares 2147376016 bytes, more than the 268435456-byte limit/);
    await expect(gunzipIfNeeded(gzipSync(labels), 'l.gz', { maxBytes: 10_000 })).rejects.toMatchObject({ code: 'SHAPE_LIMIT' });
  });

  it('caps what is not IDX at maxBytes, and keeps a few trailing bytes for parseIdx to name', async () => {
    await expect(gunzipIfNeeded(gzipBomb(Buffer.from('not idx at all'), 8 * MiB), 'x.gz', { maxBytes: MiB })).rejects.toMatchObject({ code: 'DECOMPRESSION_LIMIT' });
    const trailing = await gunzipIfNeeded(gzipSync(Buffer.concat([labels, Buffer.alloc(100)])), 'trailing.gz');
    expect(() => parseIdx(trailing, 'trailing.gz')).toThrow(/trailing bytes: .*needs 10008 bytes, found 10108/);
    await expect(gunzipIfNeeded(gzipSync(Buffer.concat([labels, Buffer.alloc(IDX_GUNZIP_SLACK + 1)])), 't.gz')).rejects.toMatchObject({ code: 'DECOMPRESSION_LIMIT' });
  });

  it('reports corrupt gzip data as IDX_SIZE_MISMATCH', async () => {
    const cut = gzipSync(labels).subarray(0, 500);
    await expect(gunzipIfNeeded(cut, 'cut.gz')).rejects.toMatchObject({ code: 'IDX_SIZE_MISMATCH', message: expect.stringMatching(/corrupt gzip data/) });
  });
});
