import { DigitsError, classCounts, imageAt, normalize, pixelHistogram, toCategorical } from '@digits/mnist-data';
import { checkOutputFiles, MODEL_FILES, writeOutputFiles } from '@digits/model-io/files';
import { digitGridPng } from '../charts/digits';
import { renderPng } from '../charts/render';
import { pixelHistogramSpec } from '../charts/specs';
import { loadDataset, shapeOf } from '../data';
import { terminalPreview } from '../images/preview';
import { Output } from '../output';

export interface InspectOptions {
  dataset: string;
  out: string;
  force: boolean;
  preview: number;
  json: boolean;
}

export const GRID_FILE = MODEL_FILES.inspectGrid;
export const HISTOGRAM_FILE = MODEL_FILES.inspectHistogram;

export async function inspect(options: InspectOptions): Promise<void> {
  const out = new Output(options.json);
  // a plot that would replace a file digits did not write is refused before the data loads
  const replace = { force: options.force, forceHint: 'add --force to replace it' };
  const [gridFile, histogramFile] = await checkOutputFiles(options.out, [GRID_FILE, HISTOGRAM_FILE], replace);
  const data = await loadDataset(options.dataset);
  const { train, test, classNames } = data;
  if (options.preview >= train.count) {
    throw new DigitsError('BAD_ARGUMENT', `--preview ${options.preview} is past the last training image (${train.count - 1})`);
  }
  const trainCounts = classCounts(train.labels, classNames.length);
  const testCounts = classCounts(test.labels, classNames.length);
  const oneHot = toCategorical(train.labels.subarray(0, 5), classNames.length);
  const firstOneHot = Array.from({ length: Math.min(5, train.count) }, (_, i) =>
    Array.from(oneHot.subarray(i * classNames.length, (i + 1) * classNames.length)),
  );

  const shown = Math.min(10, train.count);
  const grid = await digitGridPng(
    Array.from({ length: shown }, (_, i) => ({ pixels: imageAt(train, i), caption: `Digit: ${classNames[train.labels[i]!]}` })),
    { columns: 5, title: `first ${shown} training images` },
  );

  const histogramImages = [0, 2].filter((i) => i < train.count);
  const series = histogramImages.map((i) => ({
    name: `image ${i} (label ${classNames[train.labels[i]!]})`,
    ...pixelHistogram(normalize(imageAt(train, i)), 20, [0, 1]),
  }));
  await writeOutputFiles(options.out, { [GRID_FILE]: grid, [HISTOGRAM_FILE]: await renderPng(pixelHistogramSpec(series)) }, replace);

  const trainShape = shapeOf(train.count, train.rows, train.cols);
  const testShape = shapeOf(test.count, test.rows, test.cols);
  out.line(`Dataset: ${data.name} (${classNames.length} classes)`);
  out.line(`X_train shape ${trainShape}, y_train shape (${train.count},)`);
  out.line(`X_test shape ${testShape}, y_test shape (${test.count},)`);
  out.line(`Train matrix shape (${train.count}, ${train.rows * train.cols}) after flattening, pixels normalized to 0..1`);
  out.line('');
  out.line('Counts per class (np.unique(y, return_counts=True)):');
  out.line(table(classNames, [trainCounts, testCounts], ['train', 'test']));
  out.line('');
  out.line('First 5 training labels, one-hot encoded (to_categorical):');
  firstOneHot.forEach((row, i) => out.line(`  ${classNames[train.labels[i]!]} -> [${row.join(', ')}]`));
  out.line('');
  out.line(`Training image ${options.preview} (label ${classNames[train.labels[options.preview]!]}):`);
  out.line(terminalPreview(imageAt(train, options.preview), train.cols, train.rows));
  out.line('');
  out.line(`Wrote ${gridFile} (first ${shown} training images)`);
  out.line(`Wrote ${histogramFile} (pixel values of images ${histogramImages.join(' and ')})`);
  out.result({
    dataset: data.name,
    classNames,
    train: { shape: [train.count, train.rows, train.cols], counts: trainCounts },
    test: { shape: [test.count, test.rows, test.cols], counts: testCounts },
    firstLabels: Array.from(train.labels.subarray(0, 5)),
    firstOneHot,
    histograms: series,
    files: { grid: gridFile, histogram: histogramFile },
  });
}

function table(classNames: string[], columns: number[][], headers: string[]): string {
  const width = Math.max(5, ...classNames.map((n) => n.length));
  const head = `  ${'class'.padEnd(width)}  ${headers.map((h) => h.padStart(6)).join('  ')}`;
  const rows = classNames.map(
    (name, c) => `  ${name.padEnd(width)}  ${columns.map((col) => String(col[c]).padStart(6)).join('  ')}`,
  );
  return [head, ...rows].join('\n');
}
