import { Option, type Command } from 'commander';
import { MODEL_OPTION } from './options';

type Format = 'tfjs' | 'h5' | 'keras';

export interface ExportFlags {
  model: string;
  format: Format;
  quantize?: 'float16' | 'uint8';
  out: string;
  json: boolean;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the model as a tfjs directory (optionally quantized) or as a Keras .h5 / .keras file')
    .option(...MODEL_OPTION)
    .addOption(new Option('--format <format>', 'tfjs directory, Keras HDF5 (.h5) or Keras 3 zip (.keras)').choices(['tfjs', 'h5', 'keras']).default('tfjs'))
    .addOption(new Option('--quantize <dtype>', 'store tfjs weights as float16 or uint8 (smaller, slightly less exact)').choices(['float16', 'uint8']))
    .requiredOption('--out <path>', 'output directory (tfjs) or file (h5, keras)')
    .option('--json', 'machine-readable output', false)
    .action(async (flags: ExportFlags) => (await import('../actions/export')).exportCommand(flags));
}
