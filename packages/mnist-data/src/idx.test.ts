import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFromIdx, encodeIdx, IDX_FILE_NAMES, MNIST_CLASS_NAMES, parseIdx, type IdxArray, type IdxDtype } from './index';
import { embeddedMnistDir } from './node';

const embedded = (name: string) => new Uint8Array(readFileSync(join(embeddedMnistDir()!, name)));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('IDX codec', () => {
  it('parses the real label file and re-encodes it byte for byte', () => {
    const bytes = embedded('train-labels-idx1-ubyte');
    const labels = parseIdx(bytes, 'train-labels');
    expect(labels.dtype).toBe('uint8');
    expect(labels.dims).toEqual([60000]);
    expect([...labels.data.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect(Buffer.from(encodeIdx(labels)).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each<[IdxDtype, IdxArray['data']]>([
    ['uint8', Uint8Array.of(0, 1, 254, 255, 7, 8)],
    ['int8', Int8Array.of(-128, -1, 0, 1, 127, 5)],
    ['int16', Int16Array.of(-32768, -2, 0, 3, 32767, 300)],
    ['int32', Int32Array.of(-2147483648, -70000, 0, 70000, 2147483647, 1)],
    ['float32', Float32Array.of(-1.5, 0, 0.1, 3.25, 1e30, -0)],
    ['float64', Float64Array.of(-1.5, 0, 0.1, Math.PI, 1e300, Number.MIN_VALUE)],
  ])('round-trips %s, big-endian on disk', (dtype, data) => {
    const bytes = encodeIdx({ dtype, dims: [2, 3], data });
    expect(bytes.length).toBe(4 + 8 + data.byteLength);
    const back = parseIdx(bytes);
    expect(back.dtype).toBe(dtype);
    expect(back.dims).toEqual([2, 3]);
    expect([...back.data]).toEqual([...data]);
    if (data.BYTES_PER_ELEMENT > 1) {
      // most significant byte first: the first element's sign bit is in the first data byte
      expect(bytes[12]! >= 0x80).toBe(data[0]! < 0);
    }
  });

  it('rejects a wrong magic, and says so when the file is still gzipped', () => {
    expect(codeOf(() => parseIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0), 'x.idx'))).toBe('IDX_BAD_MAGIC');
    expect(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 0), 'x.gz')).toThrow(/x\.gz: .*found 0x1f8b.*gzip-compressed/);
    expect(codeOf(() => parseIdx(new Uint8Array(2)))).toBe('IDX_BAD_MAGIC');
  });

  it('rejects an unsupported dtype', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0, 0x0a, 1, 0, 0, 0, 0), 'f')).toThrow(/f: unsupported IDX element type 0x0a/);
  });

  it('rejects truncated data, trailing bytes and a truncated header, naming the sizes', () => {
    const good = embedded('t10k-labels-idx1-ubyte');
    expect(() => parseIdx(good.subarray(0, good.length - 1), 't10k-labels')).toThrow(
      /t10k-labels: truncated: header \[10000\] of uint8 needs 10008 bytes, found 10007/,
    );
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(() => parseIdx(longer, 'l')).toThrow(/trailing bytes: .*needs 10008 bytes, found 10011/);
    expect(codeOf(() => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1)))).toBe('IDX_SIZE_MISMATCH');
  });
});

describe('datasetFromIdx validation', () => {
  const images = (count: number) => encodeIdx({ dtype: 'uint8', dims: [count, 2, 2], data: new Uint8Array(count * 4) });
  const labels = (values: number[]) => encodeIdx({ dtype: 'uint8', dims: [values.length], data: Uint8Array.from(values) });
  const build = (trainLabels: Uint8Array, trainImages = images(3)) =>
    datasetFromIdx('t', MNIST_CLASS_NAMES, { trainImages, trainLabels, testImages: images(1), testLabels: labels([0]) });

  it('accepts matching files', () => {
    const data = build(labels([1, 2, 9]));
    expect([data.train.count, data.train.rows, data.train.cols, data.test.count]).toEqual([3, 2, 2, 1]);
  });

  it('rejects image and label counts that differ', () => {
    expect(() => build(labels([1, 2]))).toThrow(
      new RegExp(`${IDX_FILE_NAMES.trainLabels}: .* has 2 labels but ${IDX_FILE_NAMES.trainImages} has 3 images`),
    );
    expect(codeOf(() => build(labels([1, 2])))).toBe('IDX_COUNT_MISMATCH');
  });

  it('rejects labels outside 0-9', () => {
    expect(() => build(labels([1, 10, 2]))).toThrow(/label 10 at index 1 is outside 0-9/);
    expect(codeOf(() => build(labels([1, 10, 2])))).toBe('IDX_BAD_LABEL');
  });

  it('rejects files of the wrong kind (labels where images belong)', () => {
    expect(codeOf(() => build(labels([1, 2, 3]), labels([1, 2, 3])))).toBe('IDX_UNSUPPORTED_DTYPE');
  });
});
