import type { Command } from 'commander';
import { FORCE_OPTION, parseLocalPath } from './options';
import type { ImportFlags } from '../actions/import';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('convert a Keras model (.h5 from Keras 2 / tf.keras, or .keras from Keras 3) into a tfjs model directory')
    .argument('<file>', 'FILE.h5 or FILE.keras')
    .requiredOption('--out <dir>', 'the model directory to write (new, empty or one digits wrote)', parseLocalPath('--out'))
    .option(...FORCE_OPTION)
    .option('--config <file>', "the architecture (Keras model.to_json() output) for a weights-only file written by save_weights")
    .option('--json', 'machine-readable output', false)
    .action(async (file: string, flags: ImportFlags) => (await import('../actions/import')).importCommand(file, flags));
}
