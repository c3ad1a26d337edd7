import { resolve } from 'node:path';
import type { Dataset } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';

const DATASET_NAMES = ['mnist', 'fashion-mnist'];

export function loadDataset(dataset: string): Promise<Dataset> {
  return loadMnist({ dataset });
}

/** `--dataset` as stored in a checkpoint: a dataset name as is, a directory as an absolute path. */
export function datasetSource(dataset: string): string {
  return DATASET_NAMES.includes(dataset) ? dataset : resolve(dataset);
}

export function shapeOf(count: number, rows: number, cols: number): string {
  return `(${count}, ${rows}, ${cols})`;
}
