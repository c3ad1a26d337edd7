import { DigitsError } from '@digits/mnist-data';
import { writeFileAtomic } from '@digits/mnist-data/node';
import { exportKeras, loadModel, saveModel } from '@digits/model-io/node';
import type { ExportFlags } from '../commands/export';
import { Output } from '../output';

type Format = 'tfjs' | 'h5' | 'keras';

export async function exportCommand(flags: ExportFlags): Promise<void> {
  const out = new Output(flags.json);
  if (flags.quantize && flags.format !== 'tfjs') {
    throw new DigitsError('BAD_ARGUMENT', `--quantize applies to --format tfjs only, not ${flags.format}`);
  }
  const { model, card } = await loadModel(flags.model);
  if (flags.format === 'tfjs') {
    await saveModel(model, flags.out, { ...(card ? { card } : {}), ...(flags.quantize ? { quantize: flags.quantize } : {}) });
  } else {
    await writeFileAtomic(flags.out, await exportKeras(model, flags.format));
  }
  const what = flags.format === 'tfjs' ? `a tfjs model${flags.quantize ? ` with ${flags.quantize} weights` : ''}` : `a Keras .${flags.format} file`;
  out.line(`Exported ${flags.model} as ${what}: ${flags.out}`);
  out.result({ model: flags.model, format: flags.format, quantize: flags.quantize ?? null, out: flags.out });
}
