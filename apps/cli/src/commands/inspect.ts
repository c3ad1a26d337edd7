import type { Command } from 'commander';
import { DATASET_OPTION, parseInteger } from './options';

export interface InspectOptions {
  dataset: string;
  out: string;
  preview: number;
  json: boolean;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description("explore the dataset like the tutorial: shapes, counts per class, one-hot labels, sample images, pixel histogram")
    .option(...DATASET_OPTION)
    .option('--out <dir>', 'where the PNGs go', './inspect')
    .option('--preview <index>', 'training image drawn in the terminal', parseInteger('--preview', 0), 0)
    .option('--json', 'machine-readable output', false)
    .action(async (options: InspectOptions) => (await import('../actions/inspect')).inspect(options));
}
