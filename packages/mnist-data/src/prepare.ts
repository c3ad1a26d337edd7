import { DigitsError } from './errors';

// x / 255 for every byte value, computed once: a table lookup is faster than dividing and
// gives exactly the float32 that numpy's `x / 255` rounds to.
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * Scales bytes 0..255 to float32 0..1 (the tutorial's `x / 255`). Pass `out` to reuse a buffer
 * (a fresh 188 MB array for all 60k images costs as much in page faults as the loop itself).
 */
export function normalize(images: Uint8Array, out: Float32Array = new Float32Array(images.length)): Float32Array {
  if (out.length < images.length) {
    throw new DigitsError('BAD_ARGUMENT', `output holds ${out.length} values, need ${images.length}`);
  }
  const table = BYTE_TO_UNIT;
  let i = 0;
  if (images.byteOffset % 4 === 0) {
    // four bytes per read: fewer loads and bounds checks on little-endian hosts (all current JS engines)
    const words = new Uint32Array(images.buffer, images.byteOffset, images.length >>> 2);
    const little = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
    if (little) {
      for (let w = 0; w < words.length; w++, i += 4) {
        const v = words[w]!;
        out[i] = table[v & 255]!;
        out[i + 1] = table[(v >>> 8) & 255]!;
        out[i + 2] = table[(v >>> 16) & 255]!;
        out[i + 3] = table[v >>> 24]!;
      }
    }
  }
  for (; i < images.length; i++) out[i] = table[images[i]!]!;
  return out;
}

/** One-hot encodes labels: a row-major `labels.length x numClasses` matrix (Keras `to_categorical`). */
export function toCategorical(labels: ArrayLike<number>, numClasses = 10): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new DigitsError('BAD_ARGUMENT', `label ${label} at index ${i} is outside 0-${numClasses - 1}`);
    }
    out[i * numClasses + label] = 1;
  }
  return out;
}

/** How many labels there are of each class (numpy's `np.unique(labels, return_counts=True)`). */
export function classCounts(labels: ArrayLike<number>, numClasses = 10): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label >= 0 && label < numClasses) counts[label]!++;
  }
  return counts;
}

/**
 * Histogram of pixel values like `np.histogram(x, bins, range)`: `bins` equal-width bins, the last
 * one closed on the right; values outside the range are not counted.
 */
export function pixelHistogram(
  pixels: ArrayLike<number>,
  bins = 10,
  range: readonly [number, number] = [0, 1],
): { edges: number[]; counts: number[] } {
  const [low, high] = range;
  if (!(bins >= 1) || !Number.isInteger(bins) || !(high > low)) {
    throw new DigitsError('BAD_ARGUMENT', `histogram needs an integer bins >= 1 and range low < high, got ${bins} [${low}, ${high}]`);
  }
  const width = (high - low) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => low + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v < low || v > high) continue;
    const bin = v === high ? bins - 1 : Math.min(bins - 1, Math.floor((v - low) / width));
    counts[bin]!++;
  }
  return { edges, counts };
}
