import { basename } from 'node:path';
import { readRegularFile } from '@digits/mnist-data/node';
import { importKeras, MODEL_LIMITS, saveModel } from '@digits/model-io/node';
import { Output } from '../output';

export interface ImportFlags {
  out: string;
  force: boolean;
  json: boolean;
}

export async function importCommand(file: string, flags: ImportFlags): Promise<void> {
  const out = new Output(flags.json);
  const bytes = await readRegularFile(file, { maxBytes: MODEL_LIMITS.maxKerasFileBytes, code: 'MODEL_NOT_FOUND', what: 'a Keras file' });
  const model = await importKeras(bytes, { fileName: basename(file) });
  await saveModel(model, flags.out, { card: { name: basename(file), source: file }, overwrite: flags.force, overwriteHint: 'add --force to replace it' });
  out.line(`Imported ${file} (${model.layers.length} layers, ${model.countParams().toLocaleString('en-US')} parameters) into ${flags.out}`);
  out.result({ file, out: flags.out, layers: model.layers.length, parameters: model.countParams() });
}
