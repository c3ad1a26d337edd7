import { Option, type Command } from 'commander';
import { FORCE_OPTION, MODEL_OPTION, parseLocalPath } from './options';
import type { ExportFlags } from '../actions/export';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the model as a tfjs directory (optionally quantized) or as a Keras .h5 / .keras file')
    .option(...MODEL_OPTION)
    .addOption(new Option('--format <format>', 'tfjs directory, Keras HDF5 (.h5) or Keras 3 zip (.keras)').choices(['tfjs', 'h5', 'keras']).default('tfjs'))
    .addOption(new Option('--quantize <dtype>', 'store tfjs weights as float16 or uint8 (smaller, slightly less exact)').choices(['float16', 'uint8']))
    .requiredOption('--out <path>', 'output directory (tfjs: new, empty or one digits wrote) or file (h5, keras)', parseLocalPath('--out'))
    .option(...FORCE_OPTION)
    .option('--json', 'machine-readable output', false)
    .action(async (flags: ExportFlags) => (await import('../actions/export')).exportCommand(flags));
}
