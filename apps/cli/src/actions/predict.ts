import { basename, extname, join } from 'node:path';
import { DigitsError, imageAt, isDigitsError, normalize, preprocessImage, type RawImage } from '@digits/mnist-data';
import { checkOutputFiles, writeOutputFiles } from '@digits/model-io/files';
import { loadDataset } from '../data';
import { readImageFile } from '../images/decode';
import { grayscalePng } from '../images/encode';
import { terminalPreview } from '../images/preview';
import { Output } from '../output';

export interface PredictFlags {
  model: string;
  backend: string;
  dataset: string;
  index?: number;
  show: boolean;
  showDir: string;
  force: boolean;
  json: boolean;
}

/** One image as the model sees it: 784 floats 0..1, white ink on black. */
interface Input {
  source: string;
  pixels: Float32Array;
  inverted?: boolean;
  label?: number;
  /** the image size of a dataset image (files are always resampled to 28x28) */
  size?: { rows: number; cols: number; classes: number };
}

export async function predictCommand(files: string[], flags: PredictFlags): Promise<void> {
  const out = new Output(flags.json);
  if (files.length === 0 && flags.index === undefined) {
    throw new DigitsError('BAD_ARGUMENT', 'nothing to predict: give image files or --index N');
  }
  // Every input is read and preprocessed before the model loads: a bad file fails fast.
  const inputs: Input[] = [];
  for (const file of files) {
    const { pixels, inverted } = preprocessFile(file, await readImageFile(file));
    inputs.push({ source: file, pixels, inverted });
  }
  if (flags.index !== undefined) inputs.push(await testImage(flags.dataset, flags.index));
  // --show: a preview that would replace a file digits did not write is refused before the model loads
  const replace = { force: flags.force, forceHint: 'add --force to replace it' };
  const previews = flags.show ? inputs.map(previewName) : [];
  await checkOutputFiles(flags.showDir, previews, replace);

  // tfjs loads only now, so that mistakes in the inputs are reported at once
  const [{ openModel, namingModel }, { assertModelFits, predictProbabilities, readProbabilities }] = await Promise.all([import('./open-model'), import('@digits/model')]);
  const { model, backend } = await openModel(flags.model, flags.backend);
  out.note(`Backend: ${backend.name} - ${backend.reason}`);
  const batch = new Float32Array(inputs.length * 784);
  inputs.forEach((input, i) => batch.set(input.pixels, i * 784));
  const probabilities = await namingModel(flags.model, () => {
    // dataset images keep their size, and the batch holds 28x28 per image: both must fit
    for (const { size } of inputs) if (size) assertModelFits(model, size, `the ${size.rows}x${size.cols} images of ${flags.dataset}`);
    return predictProbabilities(model, batch);
  });
  const classes = probabilities.length / inputs.length;
  if (flags.show) await writeOutputFiles(flags.showDir, Object.fromEntries(inputs.map((input, i) => [previews[i]!, grayscalePng(input.pixels, 28, 28)])), replace);

  const results = [];
  for (const [i, input] of inputs.entries()) {
    const row = Array.from(probabilities.subarray(i * classes, (i + 1) * classes));
    const reading = readProbabilities(row);
    const digit = reading.digit;
    const shown = flags.show ? join(flags.showDir, previews[i]!) : undefined;
    const { notSure, margin, entropy, threshold } = reading;
    results.push({ ...describe(input), digit, probability: row[digit]!, notSure, margin, entropy, threshold, probabilities: row, ...(shown ? { shown } : {}) });

    const doubt = notSure ? ` - not sure, may not be a digit (${threshold.measure} ${reading.score.toFixed(2)} < ${threshold.below})` : '';
    out.line(`${input.source}: ${digit} (${(row[digit]! * 100).toFixed(1)}%)${doubt}${input.label !== undefined ? `, true label ${input.label}` : ''}${input.inverted ? ' [dark ink on light background, inverted]' : ''}`);
    out.line(`  ${row.map((p, c) => `${c}: ${p.toFixed(3)}`).join('  ')}`);
    if (shown) {
      out.line(terminalPreview(input.pixels));
      out.line(`  wrote ${shown}`);
    }
  }
  out.result(results);
}

/** --show writes `<name>.28x28.png` for the input `name.png` (test image N: `test-N.28x28.png`). */
function previewName(input: Input): string {
  return `${basename(input.source, extname(input.source))}.28x28.png`;
}

function describe(input: Input): Record<string, unknown> {
  return {
    source: input.source,
    ...(input.inverted !== undefined ? { inverted: input.inverted } : {}),
    ...(input.label !== undefined ? { label: input.label } : {}),
  };
}

async function testImage(dataset: string, index: number): Promise<Input> {
  const { test, classNames } = await loadDataset(dataset);
  if (index >= test.count) {
    throw new DigitsError('BAD_ARGUMENT', `--index ${index} is past the last test image (${test.count - 1})`);
  }
  const size = { rows: test.rows, cols: test.cols, classes: classNames.length };
  return { source: `test-${index}`, pixels: normalize(imageAt(test, index)), label: test.labels[index]!, size };
}

/** preprocessImage does not know the file; its errors (e.g. NO_INK for a blank image) should name it. */
function preprocessFile(file: string, image: RawImage) {
  try {
    return preprocessImage(image);
  } catch (error) {
    if (isDigitsError(error) && error.file === undefined) throw new DigitsError(error.code, error.message, { file, cause: error });
    throw error;
  }
}
