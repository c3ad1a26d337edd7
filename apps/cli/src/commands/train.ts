import { Option, type Command } from 'commander';
import { BACKEND_OPTION, DATASET_OPTION, FORCE_OPTION, parseFraction, parseInteger, parseLocalPath } from './options';
import type { TrainFlags } from '../actions/train';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the tutorial network, checkpointing every epoch; plots, history and test accuracy at the end')
    .addOption(new Option('--arch <arch>', 'network: the tutorial MLP or a small CNN').choices(['mlp', 'cnn']).default('mlp'))
    .option('--epochs <n>', 'train until this epoch', parseInteger('--epochs', 1), 20)
    .option('--batch-size <n>', 'images per gradient step', parseInteger('--batch-size', 1), 128)
    .option(
      '--validation-split <fraction>',
      'validate on this fraction of the training images instead of the test set (the tutorial validates on the test set)',
      parseFraction('--validation-split'),
    )
    .option(...BACKEND_OPTION)
    .option('--seed <n>', 'seeds initial weights, dropout, shuffling and augmentation', parseInteger('--seed', 0), 0)
    .option('--augment', 'train on randomly shifted, scaled, rotated copies each epoch', false)
    .option(...DATASET_OPTION)
    .option('--limit <n>', 'train on the first N training images only (quick runs, tests)', parseInteger('--limit', 1))
    .option('--out <dir>', 'a new or empty directory, or one digits wrote, for the model, history and plots (default ./models/digits-<arch>)', parseLocalPath('--out'))
    .option(...FORCE_OPTION)
    .option('--resume <dir>', 'continue the interrupted run saved in DIR from its last completed epoch', parseLocalPath('--resume'))
    .option('--json', 'machine-readable summary on stdout', false)
    .action(async (flags: TrainFlags, command: Command) => (await import('../actions/train')).trainCommand(flags, command));
}
