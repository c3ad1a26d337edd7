import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classCounts, downloadDataset, embeddedMnistDir, IDX_FILE_NAMES, loadMnist } from '../node';
import { serveFiles, type ServedReply } from '../test-utils/http-server';
import { expectRealMnist, MNIST_FACTS, tempDir } from '../test-utils/real-mnist';

// Every mirror here is on 127.0.0.1: no test reaches an outside address.
const real = (name: string) => new Uint8Array(readFileSync(join(embeddedMnistDir()!, name)));
const names = Object.values(IDX_FILE_NAMES);

let server: Awaited<ReturnType<typeof serveFiles>>;
beforeAll(async () => {
  const files = new Map<string, Uint8Array>();
  for (const name of names) {
    // "good" mirror: labels gzipped (as the real mirrors), images plain (the .gz request 404s first)
    files.set(`/good/${name}${name.includes('labels') ? '.gz' : ''}`, name.includes('labels') ? gzipSync(real(name)) : real(name));
  }
  const corrupted = real('train-images-idx3-ubyte').slice();
  corrupted[5000] = 255 - corrupted[5000]!;
  files.set('/corrupted/train-images-idx3-ubyte', corrupted);
  server = await serveFiles(files);
});
afterAll(() => server.close());

const noTempFiles = async (dir: string) => (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));

describe('download source (local mirrors only)', () => {
  it('downloads the real MNIST past a missing mirror, verifies it, and caches it', async () => {
    const cacheDir = await tempDir('download');
    const mirrors = [`${server.url}/missing/`, `${server.url}/good`];
    const data = await loadMnist({ source: 'download', mirrors, cacheDir });
    expect(data.name).toBe('mnist');
    expectRealMnist(data);
    expect((await readdir(join(cacheDir, 'mnist'))).sort()).toEqual([...names].sort());
    expect(await noTempFiles(cacheDir)).toEqual([]);

    // cached now: a second load asks no mirror at all
    const before = server.requests.length;
    const again = await loadMnist({ source: 'download', mirrors: [`${server.url}/unused/`], cacheDir });
    expect(again.train.count).toBe(60000);
    expect(server.requests.length).toBe(before);

    // a damaged cache entry is replaced by a fresh download
    await writeFile(join(cacheDir, 'mnist', 't10k-labels-idx1-ubyte'), 'garbage');
    const repaired = await loadMnist({ source: 'download', mirrors, cacheDir });
    expect(classCounts(repaired.test.labels)).toEqual(MNIST_FACTS.testCounts);
    expect(server.requests.at(-1)).toBe('/good/t10k-labels-idx1-ubyte.gz');
  });

  it('rejects a corrupted download with CHECKSUM_MISMATCH and leaves nothing in the cache', async () => {
    const cacheDir = await tempDir('corrupted');
    const error = await downloadDataset({ cacheDir, mirrors: [`${server.url}/corrupted/`] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHECKSUM_MISMATCH', file: 'train-images-idx3-ubyte' });
    expect(String((error as Error).message)).toMatch(
      new RegExp(`${server.url}/corrupted/train-images-idx3-ubyte \\(SHA-256 [0-9a-f]{64}, expected ba891046`),
    );
    expect((await readdir(cacheDir, { recursive: true })).filter((f) => String(f).includes('idx'))).toEqual([]);
  });

  it('names every mirror tried when none has the file', async () => {
    const cacheDir = await tempDir('missing');
    const closed = await serveFiles(new Map());
    await closed.close(); // nothing listens on its port any more
    const mirrors = [`${server.url}/missing/`, `${closed.url}/closed/`];
    const error = (await loadMnist({ source: 'download', mirrors, cacheDir, timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'DOWNLOAD_FAILED', file: 'train-images-idx3-ubyte' });
    expect(error.message).toContain(`${server.url}/missing/train-images-idx3-ubyte.gz (HTTP 404)`);
    expect(error.message).toContain(`${server.url}/missing/train-images-idx3-ubyte (HTTP 404)`);
    expect(error.message).toContain(`${closed.url}/closed/train-images-idx3-ubyte.gz (fetch failed: ECONNREFUSED)`);
    expect((await readdir(cacheDir, { recursive: true })).filter((f) => String(f).includes('idx'))).toEqual([]);
  });
});

describe('downloads are bounded by the known file sizes (local mirrors only)', () => {
  const MiB = 1024 * 1024;
  /** gzip of `head` then `zeros` zero bytes, as concatenated members: 1 GiB costs ~1 MB. */
  const gzipBomb = (head: Uint8Array, zeros: number) => {
    const block = gzipSync(Buffer.alloc(16 * MiB));
    return Buffer.concat([gzipSync(head), ...Array.from({ length: zeros / (16 * MiB) }, () => block)]);
  };
  const idxHeader = Buffer.from([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]); // [60000, 28, 28]
  let hostile: Awaited<ReturnType<typeof serveFiles>>;
  beforeAll(async () => {
    hostile = await serveFiles(
      new Map<string, Uint8Array | ServedReply>([
        // a 1 MB .gz that inflates to 1 GiB
        ['/bomb/train-images-idx3-ubyte.gz', gzipBomb(idxHeader, 1024 * MiB)],
        // a reply gzipped in transit (Content-Encoding): fetch inflates it, 1 GiB again
        ['/encoded/train-images-idx3-ubyte', { body: gzipBomb(Buffer.alloc(0), 1024 * MiB), headers: { 'content-encoding': 'gzip' } }],
        // a Content-Length far over the file's size: refused before reading
        ['/declared/train-images-idx3-ubyte.gz', { body: Buffer.alloc(1000), headers: { 'content-length': 5_000_000_000 } }],
      ]),
    );
  });
  afterAll(() => hostile.close());

  it.each([
    ['bomb', /bomb\/train-images-idx3-ubyte\.gz \(the gzip data inflates to more than the 47040016 bytes its IDX header \[60000, 28, 28\] declares/],
    ['encoded', /encoded\/train-images-idx3-ubyte \(the reply is over \d+ bytes and still coming, more than the 47575953 bytes this file can be\)/],
    ['declared', /declared\/train-images-idx3-ubyte\.gz \(the reply is 5000000000 bytes \(Content-Length\)/],
  ])('%s: DOWNLOAD_TOO_LARGE, stopped within the file size, nothing cached', async (path, message) => {
    const cacheDir = await tempDir(`too-large-${path}`);
    const before = process.memoryUsage().rss;
    const error = (await downloadDataset({ cacheDir, mirrors: [`${hostile.url}/${path}/`] }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'DOWNLOAD_TOO_LARGE', file: 'train-images-idx3-ubyte' });
    expect(error.message).toMatch(message);
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * MiB);
    expect((await readdir(cacheDir, { recursive: true })).filter((f) => String(f).includes('idx'))).toEqual([]);
  });
});
