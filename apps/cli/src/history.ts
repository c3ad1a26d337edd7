import type { EpochLog } from '@digits/model';
import { MODEL_FILES, type ModelDirectory } from '@digits/model-io/node';
import { renderPng } from './charts/render';
import { historySpec } from './charts/specs';

const COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'seconds'] as const;

export function historyCsv(epochs: EpochLog[]): string {
  const rows = epochs.map((e) => COLUMNS.map((c) => (e[c] === undefined ? '' : String(e[c]))).join(','));
  return `${[COLUMNS.join(','), ...rows].join('\n')}\n`;
}

/** history.json (Keras's `history.history` layout plus the per-epoch logs) and history.csv; returns their paths. */
export async function writeHistoryFiles(target: ModelDirectory, epochs: EpochLog[]): Promise<string[]> {
  const keras: Record<string, number[]> = {};
  for (const column of COLUMNS.slice(1)) {
    if (epochs.some((e) => e[column] !== undefined)) keras[column] = epochs.map((e) => e[column] ?? NaN);
  }
  const json = JSON.stringify({ history: keras, epochs }, null, 2);
  return [
    await target.writeFile(MODEL_FILES.historyJson, Buffer.from(`${json}\n`)),
    await target.writeFile(MODEL_FILES.historyCsv, Buffer.from(historyCsv(epochs))),
  ];
}

/** accuracy.png and loss.png: train vs held-out set per epoch, like the tutorial's two plots; returns their paths. */
export async function writeHistoryPlots(target: ModelDirectory, epochs: EpochLog[], heldOutName: string): Promise<string[]> {
  return [
    await target.writeFile(MODEL_FILES.accuracyPlot, await renderPng(historySpec(epochs, 'acc', heldOutName))),
    await target.writeFile(MODEL_FILES.lossPlot, await renderPng(historySpec(epochs, 'loss', heldOutName))),
  ];
}
