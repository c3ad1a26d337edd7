// Hostile inputs that are small on disk and huge (or endless) when read naively. Built in the
// tests, never stored: each is a few megabytes at most and takes well under a second to make.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { unzipSync, zipSync } from 'fflate';
import { embeddedMnistDir } from '@digits/mnist-data/node';

export const KERAS_FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/keras/', import.meta.url));
export const KERAS_ZIP = join(KERAS_FIXTURES, 'keras3.11.1_mnist_cnn.keras');
export const KERAS_H5 = join(KERAS_FIXTURES, 'tfkeras2.6.0_mnist_convnet.full.h5');

const MiB = 1024 * 1024;
const IDX_NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/**
 * Raw deflate data for `size` zero bytes, made from one flushed 16 MiB block repeated (deflate
 * blocks concatenate), so gigabytes cost milliseconds: about 1 KiB on disk per MiB of output.
 */
export function deflatedZeros(size: number): Uint8Array {
  const piece = 16 * MiB;
  const full = deflateRawSync(Buffer.alloc(piece), { finishFlush: constants.Z_FULL_FLUSH });
  const parts: Uint8Array[] = [];
  for (let left = size; left > 0; left -= piece) {
    parts.push(left >= piece ? full : deflateRawSync(Buffer.alloc(left), { finishFlush: constants.Z_FULL_FLUSH }));
  }
  parts.push(deflateRawSync(Buffer.alloc(0))); // the final (empty) block
  return Buffer.concat(parts);
}

const zeroCrcs = new Map<number, number>();
/** CRC-32 of `size` zero bytes (remembered: 1.5 GiB takes a second). */
function crcOfZeros(size: number): number {
  let crc = zeroCrcs.get(size);
  if (crc !== undefined) return crc;
  crc = 0;
  const block = Buffer.alloc(16 * MiB);
  for (let left = size; left > 0; left -= block.length) crc = crc32(left >= block.length ? block : block.subarray(0, left), crc);
  zeroCrcs.set(size, crc);
  return crc;
}

let zerosMember: Uint8Array | undefined;

/** A gzip stream: `head` followed by `zeros` zero bytes (gzip members concatenate). */
export function gzipWithZeros(head: Uint8Array, zeros: number): Uint8Array {
  const member = (zerosMember ??= gzipSync(Buffer.alloc(64 * MiB), { level: 9 }));
  const parts: Uint8Array[] = [gzipSync(head)];
  for (let left = zeros; left > 0; left -= 64 * MiB) parts.push(left >= 64 * MiB ? member : gzipSync(Buffer.alloc(left)));
  return Buffer.concat(parts);
}

const idxHeader = (dims: number[]) => {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
};

/** A dataset directory with the real MNIST files except the training images, which `write` makes. */
export function datasetWith(dir: string, write: (path: string) => void): string {
  mkdirSync(dir, { recursive: true });
  for (const name of IDX_NAMES.slice(1)) copyFileSync(join(embeddedMnistDir()!, name), join(dir, name));
  write(join(dir, IDX_NAMES[0]!));
  return dir;
}

/** train-images .gz whose header says 60000 x 28 x 28 (47 MB) but which inflates to 2 GiB. */
export const idxGzipBomb = (path: string) => writeFileSync(`${path}.gz`, gzipWithZeros(idxHeader([60000, 28, 28]), 2048 * MiB));
/** train-images .gz whose header itself declares 2 GiB (2,739,000 x 28 x 28), all of it there. */
export const idxGzipHugeHeader = (path: string) => writeFileSync(`${path}.gz`, gzipWithZeros(idxHeader([2_739_000, 28, 28]), 2_739_000 * 784));

interface ZipMember {
  name: string;
  /** raw deflate data (method 8) */
  data: Uint8Array;
  crc: number;
  size: number;
}

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  return bytes;
};

/** A zip of deflated members, written out field by field so a member may be gigabytes uncompressed. */
export function zipOf(members: ZipMember[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name);
    // the 26 bytes a local header and its central directory entry share: version, flags, method, time, date, CRC, sizes, name length
    const shared = Buffer.alloc(26);
    shared.writeUInt16LE(20, 0);
    shared.writeUInt16LE(8, 4);
    shared.writeUInt32LE(member.crc >>> 0, 10);
    shared.writeUInt32LE(member.data.length, 14);
    shared.writeUInt32LE(member.size, 18);
    shared.writeUInt16LE(name.length, 22);
    const local = Buffer.concat([u32(0x04034b50), shared]);
    const tail = Buffer.alloc(14); // comment length, disk, attributes, then the local header's offset
    tail.writeUInt32LE(offset, 10);
    const central = Buffer.concat([u32(0x02014b50), Buffer.of(20, 0), shared, tail]);
    locals.push(local, name, Buffer.from(member.data));
    centrals.push(central, name);
    offset += 30 + name.length + member.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const realMembers = (): ZipMember[] =>
  Object.entries(unzipSync(readFileSync(KERAS_ZIP))).map(([name, bytes]) => ({ name, data: deflateRawSync(bytes), crc: crc32(bytes), size: bytes.length }));

/** The real .keras model plus an unused member of 1.5 GiB of zeros (about 1.5 MB deflated). */
export function kerasWithUnusedMember(path: string): void {
  const size = 1536 * MiB;
  writeFileSync(path, zipOf([...realMembers(), { name: 'assets/unused.bin', data: deflatedZeros(size), crc: crcOfZeros(size), size }]));
}

/** The real .keras model whose model.weights.h5 says it is 1 MB in the zip's headers but inflates to 1.5 GiB. */
export function kerasWithLyingMember(path: string): void {
  const size = 1536 * MiB;
  const members = realMembers().filter((m) => m.name !== 'model.weights.h5');
  writeFileSync(path, zipOf([...members, { name: 'model.weights.h5', data: deflatedZeros(size), crc: crcOfZeros(size), size: MiB }]));
}

/** Sets the `units` of the first Dense layer in a Keras or tfjs config. */
export function withDenseUnits(config: unknown, units: number): unknown {
  const visit = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.some(visit);
    if (node === null || typeof node !== 'object') return false;
    const record = node as Record<string, unknown>;
    if (record['class_name'] === 'Dense' && record['config'] && typeof record['config'] === 'object') {
      (record['config'] as Record<string, unknown>)['units'] = units;
      return true;
    }
    return Object.values(record).some(visit);
  };
  if (!visit(config)) throw new Error('no Dense layer in the config');
  return config;
}

/** The real .keras model with its Dense layer widened to `units` in config.json (weights unchanged). */
export function kerasWithUnits(path: string, units: number): void {
  const members = unzipSync(readFileSync(KERAS_ZIP));
  const config = withDenseUnits(JSON.parse(Buffer.from(members['config.json']!).toString()), units);
  members['config.json'] = Buffer.from(JSON.stringify(config));
  writeFileSync(path, zipSync(members, { level: 0 })); // stored, as Keras writes them
}

/** A tfjs model directory (copied from `source`) whose model.json gives its Dense layer `units`. */
export function modelJsonWithUnits(source: string, dir: string, units: number): void {
  mkdirSync(dir, { recursive: true });
  for (const name of ['model.json', 'weights.bin']) copyFileSync(join(source, name), join(dir, name));
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  withDenseUnits(json.modelTopology, units);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
}

/** The real tf.keras convnet .h5 whose Dense kernel is replaced by an empty 21000 x 21000 float32 dataset (no data stored). */
export async function h5WithEmptyDataset(path: string): Promise<void> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  copyFileSync(KERAS_H5, path);
  const file = new h5wasm.File(path, 'a');
  try {
    const layer = file.get('model_weights/dense') as InstanceType<typeof h5wasm.Group>;
    const group = file.get('model_weights/dense/dense') as InstanceType<typeof h5wasm.Group>;
    const big = group.create_dataset({ name: 'empty:0', data: new Float32Array(1), shape: [1, 1], maxshape: [null, null], chunks: [64, 64] });
    big.resize([21000, 21000]);
    layer.delete_attribute('weight_names');
    layer.create_attribute('weight_names', ['dense/empty:0', 'dense/bias:0']);
  } finally {
    file.close();
  }
}

/** A PNG whose header says width x height 8-bit gray, with all its (zero) pixel rows deflated: 20000 x 20000 is ~0.4 MB. */
export function pngBomb(width: number, height: number): Uint8Array {
  const raw = (width + 1) * height; // a filter byte per row
  const adler = (((raw % 65521) << 16) | 1) >>> 0; // Adler-32 of `raw` zero bytes
  const zlib = Buffer.concat([Buffer.of(0x78, 0x9c), deflatedZeros(raw), Buffer.alloc(4)]);
  zlib.writeUInt32BE(adler, zlib.length - 4);
  const chunk = (type: string, data: Uint8Array) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data, crc32(Buffer.from(type, 'latin1'))) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  return Buffer.concat([Buffer.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', ihdr), chunk('IDAT', zlib), chunk('IEND', Buffer.alloc(0))]);
}

/** A baseline JPEG header (SOI, SOF0) that claims width x height, with no image data after it. */
export function jpegHeader(width: number, height: number): Uint8Array {
  const sof = Buffer.of(0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0);
  return Buffer.concat([Buffer.of(0xff, 0xd8), sof, Buffer.of(0xff, 0xd9)]);
}

export const linkToDevZero = (path: string) => symlinkSync('/dev/zero', path);
export const fifo = (path: string) => execFileSync('mkfifo', [path]);
