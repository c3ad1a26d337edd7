import type { Command } from 'commander';
import { BACKEND_OPTION, DATASET_OPTION, MODEL_OPTION, parseInteger, OUTPUT_FORCE_OPTION, parseLocalPath } from './options';
import type { EvaluateFlags } from '../actions/evaluate';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('test loss and accuracy, correct/incorrect counts, confusion matrix and misclassified digits')
    .option(...MODEL_OPTION)
    .option(...DATASET_OPTION)
    .option(...BACKEND_OPTION)
    .option('--limit <n>', 'evaluate on the first N test images only', parseInteger('--limit', 1))
    .option('--show <n>', 'misclassified digits drawn in misclassified.png', parseInteger('--show', 1), 15)
    .option('--out <dir>', 'where confusion.png and misclassified.png go (default: the model directory)', parseLocalPath('--out'))
    .option(...OUTPUT_FORCE_OPTION)
    .option('--json', 'machine-readable output', false)
    .action(async (flags: EvaluateFlags) => (await import('../actions/evaluate')).evaluateCommand(flags));
}
