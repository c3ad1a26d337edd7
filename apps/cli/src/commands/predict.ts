import type { Command } from 'commander';
import { BACKEND_OPTION, DATASET_OPTION, MODEL_OPTION, parseInteger, OUTPUT_FORCE_OPTION, parseLocalPath } from './options';
import type { PredictFlags } from '../actions/predict';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('recognize the digit in PNG/JPEG files (photos, scans, canvas exports) or in test image N')
    .argument('[files...]', 'PNG or JPEG images of one handwritten digit each')
    .option(...MODEL_OPTION)
    .option(...BACKEND_OPTION)
    .option('--index <n>', 'predict test image N instead of files', parseInteger('--index', 0))
    .option(...DATASET_OPTION)
    .option('--show', 'write the 28x28 image the model saw (and draw it in the terminal)', false)
    .option('--show-dir <dir>', 'where --show writes <name>.28x28.png', parseLocalPath('--show-dir'), '.')
    .option(...OUTPUT_FORCE_OPTION)
    .option('--json', 'machine-readable output', false)
    .action(async (files: string[], flags: PredictFlags) => (await import('../actions/predict')).predictCommand(files, flags));
}
