import type { Split } from './dataset';
import { DigitsError } from './errors';
import { normalize, toCategorical } from './prepare';
import { createRng } from './rng';

const pixelsPerImage = (split: Split) => split.rows * split.cols;

function checkIndex(split: Split, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= split.count) {
    throw new DigitsError('BAD_ARGUMENT', `image index ${i} is outside 0-${split.count - 1}`);
  }
}

/** The pixels of image `i` (rows x cols bytes) as a view, not a copy. */
export function imageAt(split: Split, i: number): Uint8Array {
  checkIndex(split, i);
  const size = pixelsPerImage(split);
  return split.images.subarray(i * size, (i + 1) * size);
}

/** The first `n` images and labels (views, no copy), e.g. for a grid of samples. */
export function takeFirst(split: Split, n: number): Split {
  const count = Math.max(0, Math.min(split.count, Math.floor(n)));
  const size = pixelsPerImage(split);
  return {
    images: split.images.subarray(0, count * size),
    labels: split.labels.subarray(0, count),
    count,
    rows: split.rows,
    cols: split.cols,
  };
}

/** A copy holding the images and labels at `indices`, in that order. */
export function subset(split: Split, indices: ArrayLike<number>): Split {
  const size = pixelsPerImage(split);
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    checkIndex(split, i);
    images.set(split.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = split.labels[i]!;
  }
  return { images, labels, count: indices.length, rows: split.rows, cols: split.cols };
}

/** 0..n-1 in a random order that depends only on `seed` (Fisher-Yates with createRng). */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  const random = createRng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = indices[i]!;
    indices[i] = indices[j]!;
    indices[j] = tmp;
  }
  return indices;
}

/**
 * Holds out a seeded random `fraction` of a training split for validation. Both parts keep the
 * original order; the test split is never touched, so it stays for the final evaluation.
 */
export function splitValidation(split: Split, fraction: number, seed: number): { train: Split; validation: Split } {
  if (!(fraction > 0 && fraction < 1)) {
    throw new DigitsError('BAD_ARGUMENT', `validation fraction must be between 0 and 1 (exclusive), got ${fraction}`);
  }
  const held = Math.round(split.count * fraction);
  const order = shuffledIndices(split.count, seed);
  const validation = order.slice(0, held).sort();
  const train = order.slice(held).sort();
  return { train: subset(split, train), validation: subset(split, validation) };
}

/** Index batches covering 0..n-1: shuffled by `seed` when given, else in order; the last may be short. */
export function batchIndices(n: number, batchSize: number, seed?: number): Uint32Array[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new DigitsError('BAD_ARGUMENT', `batch size must be a positive integer, got ${batchSize}`);
  }
  const order = seed === undefined ? Uint32Array.from({ length: n }, (_, i) => i) : shuffledIndices(n, seed);
  const batches: Uint32Array[] = [];
  for (let start = 0; start < n; start += batchSize) batches.push(order.subarray(start, start + batchSize));
  return batches;
}

/** A training batch: `x` as float32 0..1 (`indices.length x rows*cols`), `y` one-hot. */
export function gatherBatch(
  split: Split,
  indices: ArrayLike<number>,
  numClasses = 10,
): { x: Float32Array; y: Float32Array; labels: Uint8Array } {
  const picked = subset(split, indices);
  return { x: normalize(picked.images), y: toCategorical(picked.labels, numClasses), labels: picked.labels };
}
