import { join } from 'node:path';
import { writeFileAtomic } from '@digits/mnist-data/node';
import type { EpochLog } from '@digits/model';
import { renderPng } from './charts/render';
import { historySpec } from './charts/specs';

const COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'seconds'] as const;

export const HISTORY_FILES = { json: 'history.json', csv: 'history.csv', accuracy: 'accuracy.png', loss: 'loss.png' } as const;

export function historyCsv(epochs: EpochLog[]): string {
  const rows = epochs.map((e) => COLUMNS.map((c) => (e[c] === undefined ? '' : String(e[c]))).join(','));
  return `${[COLUMNS.join(','), ...rows].join('\n')}\n`;
}

/** history.json (Keras's `history.history` layout plus the per-epoch logs) and history.csv. */
export async function writeHistoryFiles(dir: string, epochs: EpochLog[]): Promise<void> {
  const keras: Record<string, number[]> = {};
  for (const column of COLUMNS.slice(1)) {
    if (epochs.some((e) => e[column] !== undefined)) keras[column] = epochs.map((e) => e[column] ?? NaN);
  }
  const json = JSON.stringify({ history: keras, epochs }, null, 2);
  await writeFileAtomic(join(dir, HISTORY_FILES.json), Buffer.from(`${json}\n`));
  await writeFileAtomic(join(dir, HISTORY_FILES.csv), Buffer.from(historyCsv(epochs)));
}

/** accuracy.png and loss.png: train vs held-out set per epoch, like the tutorial's two plots. */
export async function writeHistoryPlots(dir: string, epochs: EpochLog[], heldOutName: string): Promise<string[]> {
  const files = [join(dir, HISTORY_FILES.accuracy), join(dir, HISTORY_FILES.loss)];
  await writeFileAtomic(files[0]!, await renderPng(historySpec(epochs, 'acc', heldOutName)));
  await writeFileAtomic(files[1]!, await renderPng(historySpec(epochs, 'loss', heldOutName)));
  return files;
}
