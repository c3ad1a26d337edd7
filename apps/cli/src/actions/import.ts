import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DigitsError } from '@digits/mnist-data';
import { importKeras, saveModel } from '@digits/model-io/node';
import { Output } from '../output';

export interface ImportFlags {
  out: string;
  force: boolean;
  json: boolean;
}

export async function importCommand(file: string, flags: ImportFlags): Promise<void> {
  const out = new Output(flags.json);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DigitsError('MODEL_NOT_FOUND', `cannot read the Keras file: ${(error as Error).message}`, { file, cause: error });
  }
  const model = await importKeras(bytes, { fileName: basename(file) });
  await saveModel(model, flags.out, { card: { name: basename(file), source: file }, overwrite: flags.force, overwriteHint: 'add --force to replace it' });
  out.line(`Imported ${file} (${model.layers.length} layers, ${model.countParams().toLocaleString('en-US')} parameters) into ${flags.out}`);
  out.result({ file, out: flags.out, layers: model.layers.length, parameters: model.countParams() });
}
