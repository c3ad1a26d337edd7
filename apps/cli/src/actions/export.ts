import { DigitsError } from '@digits/mnist-data';
import { loadModel, saveModel, writeKerasFile } from '@digits/model-io/node';
import { Output } from '../output';

export type Format = 'tfjs' | 'h5' | 'keras';

export interface ExportFlags {
  model: string;
  format: Format;
  quantize?: 'float16' | 'uint8';
  out: string;
  force: boolean;
  json: boolean;
}

export async function exportCommand(flags: ExportFlags): Promise<void> {
  const out = new Output(flags.json);
  if (flags.quantize && flags.format !== 'tfjs') {
    throw new DigitsError('BAD_ARGUMENT', `--quantize applies to --format tfjs only, not ${flags.format}`);
  }
  const { model, card } = await loadModel(flags.model);
  const replace = { overwrite: flags.force, overwriteHint: 'add --force to replace it' };
  if (flags.format === 'tfjs') {
    await saveModel(model, flags.out, { ...(card ? { card } : {}), ...(flags.quantize ? { quantize: flags.quantize } : {}), ...replace });
  } else {
    await writeKerasFile(model, flags.out, flags.format, replace);
  }
  const what = flags.format === 'tfjs' ? `a tfjs model${flags.quantize ? ` with ${flags.quantize} weights` : ''}` : `a Keras .${flags.format} file`;
  out.line(`Exported ${flags.model} as ${what}: ${flags.out}`);
  out.result({ model: flags.model, format: flags.format, quantize: flags.quantize ?? null, out: flags.out });
}
