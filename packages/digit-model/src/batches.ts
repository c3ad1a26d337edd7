import type { Split } from '@digits/mnist-data';
import { DigitsError } from '@digits/mnist-data';

/** Pixels per sample of a split (rows x cols), after checking it against the image and label bytes. */
export function sampleSize(split: Split, what = 'data'): number {
  const size = split.rows * split.cols;
  if (!(split.count >= 0) || split.images.length !== split.count * size || split.labels.length !== split.count) {
    throw new DigitsError(
      'BAD_ARGUMENT',
      `${what}: expected ${split.count} images of ${split.rows}x${split.cols} and ${split.count} labels, ` +
        `got ${split.images.length} image bytes and ${split.labels.length} labels`,
    );
  }
  return size;
}
