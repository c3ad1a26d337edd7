import type { Command } from 'commander';
import { DATASET_OPTION, parseInteger, OUTPUT_FORCE_OPTION, parseLocalPath } from './options';
import type { InspectOptions } from '../actions/inspect';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description("explore the dataset like the tutorial: shapes, counts per class, one-hot labels, sample images, pixel histogram")
    .option(...DATASET_OPTION)
    .option('--out <dir>', 'where the PNGs go', parseLocalPath('--out'), './inspect')
    .option(...OUTPUT_FORCE_OPTION)
    .option('--preview <index>', 'training image drawn in the terminal', parseInteger('--preview', 0), 0)
    .option('--json', 'machine-readable output', false)
    .action(async (options: InspectOptions) => (await import('../actions/inspect')).inspect(options));
}
