import { basename } from 'node:path';
import { DigitsError, isDigitsError } from '@digits/mnist-data';
import { MNIST_SHAPE, modelFitProblem } from '@digits/model';
import { readKerasFile, saveModel } from '@digits/model-io/node';
import { Output } from '../output';

export interface ImportFlags {
  out: string;
  /** the model.to_json() file of a weights-only (save_weights) .h5 */
  config?: string;
  force: boolean;
  json: boolean;
}

export async function importCommand(file: string, flags: ImportFlags): Promise<void> {
  const out = new Output(flags.json);
  // a save_weights .h5 holds no architecture: --config names the model.to_json() file
  const model = await readKerasFile(file, flags.config === undefined ? {} : { configJson: flags.config }).catch((error: unknown) => {
    // the library's hint names its option; on the command line it is a flag
    if (isDigitsError(error, 'KERAS_CONFIG_MISSING') && flags.config === undefined && error.reason.includes('configJson')) {
      throw new DigitsError(error.code, error.reason.replace('as configJson', 'with --config CONFIG.json (the output of model.to_json())'), { file: error.file, cause: error });
    }
    throw error;
  });
  const card = { name: basename(file), source: file, ...(flags.config ? { config: flags.config } : {}) };
  await saveModel(model, flags.out, { card, overwrite: flags.force, overwriteHint: 'add --force to replace it' });
  out.line(`Imported ${file}${flags.config ? ` with the architecture in ${flags.config}` : ''} (${model.layers.length} layers, ${model.countParams().toLocaleString('en-US')} parameters) into ${flags.out}`);
  // any Keras model converts; say at once when evaluate/predict will refuse it, and why
  const problem = modelFitProblem(model, MNIST_SHAPE);
  if (problem) out.note(`Note: digits evaluate and predict cannot use this model for 28x28 digits: ${problem}`);
  out.result({ file, ...(flags.config ? { config: flags.config } : {}), out: flags.out, layers: model.layers.length, parameters: model.countParams(), ...(problem ? { problem } : {}) });
}
