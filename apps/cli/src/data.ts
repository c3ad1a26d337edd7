import type { Dataset } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';

export function loadDataset(dataset: string): Promise<Dataset> {
  return loadMnist({ dataset });
}

export function shapeOf(count: number, rows: number, cols: number): string {
  return `(${count}, ${rows}, ${cols})`;
}
