import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { classCounts, loadMnist } from '../node';
import type { Dataset } from '../dataset';

/** Published facts about the real MNIST, which every source must reproduce. */
export const MNIST_FACTS = {
  trainCounts: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
  testCounts: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
  firstTrainLabels: [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
  firstTestLabels: [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
  trainPixelMean: 33.318,
};

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `digits-${prefix}-`));

let cached: Promise<Dataset> | undefined;
/** The embedded MNIST, loaded once per test file. */
export function realMnist(): Promise<Dataset> {
  cached ??= tempDir('cache').then((cacheDir) => loadMnist({ cacheDir }));
  return cached;
}

export function pixelMean(images: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < images.length; i++) sum += images[i]!;
  return sum / images.length;
}

/** Byte-for-byte equality of two typed arrays (vitest's deep equality is slow on millions of elements). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Centre of mass (x, y) in pixel indices of a row-major image `width` pixels wide. */
export function centreOfMass(pixels: ArrayLike<number>, width = 28): { x: number; y: number } {
  let m = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    m += v;
    x += v * (i % width);
    y += v * Math.floor(i / width);
  }
  return { x: x / m, y: y / m };
}

/** Asserts that a dataset is the real MNIST: counts, first labels and training pixel mean. */
export function expectRealMnist(data: Dataset): void {
  expect([data.train.count, data.train.rows, data.train.cols, data.test.count]).toEqual([60000, 28, 28, 10000]);
  expect(data.train.images.length).toBe(60000 * 784);
  expect(classCounts(data.train.labels)).toEqual(MNIST_FACTS.trainCounts);
  expect(classCounts(data.test.labels)).toEqual(MNIST_FACTS.testCounts);
  expect([...data.train.labels.subarray(0, 10)]).toEqual(MNIST_FACTS.firstTrainLabels);
  expect([...data.test.labels.subarray(0, 10)]).toEqual(MNIST_FACTS.firstTestLabels);
  expect(pixelMean(data.train.images)).toBeCloseTo(MNIST_FACTS.trainPixelMean, 3);
}
