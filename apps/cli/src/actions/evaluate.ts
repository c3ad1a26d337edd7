import { basename, dirname } from 'node:path';
import { imageAt, takeFirst } from '@digits/mnist-data';
import { checkOutputFiles, MODEL_FILES, writeOutputFiles } from '@digits/model-io/node';
import { classifyResults, confusionMatrix, evaluate, predictClasses } from '@digits/model';
import { digitGridPng } from '../charts/digits';
import { renderPng } from '../charts/render';
import { confusionSpec } from '../charts/specs';
import { loadDataset } from '../data';
import { Output, formatNumber } from '../output';
import { namingModel, openModel } from './open-model';

export interface EvaluateFlags {
  model: string;
  dataset: string;
  backend: string;
  limit?: number;
  show: number;
  out?: string;
  force: boolean;
  json: boolean;
}

export async function evaluateCommand(flags: EvaluateFlags): Promise<void> {
  const out = new Output(flags.json);
  // a plot that would replace a file digits did not write is refused before the model loads
  const dir = flags.out ?? (basename(flags.model) === MODEL_FILES.model ? dirname(flags.model) : flags.model);
  const replace = { force: flags.force, forceHint: 'add --force to replace it' };
  const [confusionFile, misclassifiedFile] = await checkOutputFiles(dir, [MODEL_FILES.confusionPlot, MODEL_FILES.misclassifiedPlot], replace);
  const { model, backend } = await openModel(flags.model, flags.backend);
  out.note(`Backend: ${backend.name} - ${backend.reason}`);
  const data = await loadDataset(flags.dataset);
  const test = flags.limit ? takeFirst(data.test, flags.limit) : data.test;

  const classes = { classes: data.classNames.length };
  const { loss, accuracy } = await namingModel(flags.model, () => evaluate(model, test, classes));
  const predicted = predictClasses(model, test, classes);
  const matrix = confusionMatrix(test.labels, predicted, data.classNames.length);
  const { correct, incorrect } = classifyResults(test.labels, predicted);

  const shown = incorrect.slice(0, flags.show);
  const label = (c: number) => (data.classNames[c]!.length <= 2 ? data.classNames[c]! : String(c));
  await writeOutputFiles(
    dir,
    {
      [MODEL_FILES.confusionPlot]: await renderPng(confusionSpec(matrix, data.classNames)),
      [MODEL_FILES.misclassifiedPlot]: await digitGridPng(
        shown.map((i) => ({ pixels: imageAt(test, i), caption: `true ${label(test.labels[i]!)}, pred ${label(predicted[i]!)}`, captionColor: '#b00020' })),
        { columns: 5, title: shown.length ? `misclassified test digits (${shown.length} of ${incorrect.length})` : 'no misclassified test digits' },
      ),
    },
    replace,
  );

  out.line(`Test loss: ${formatNumber(loss)}`);
  out.line(`Test accuracy: ${formatNumber(accuracy)}`);
  out.line(`${correct.length} classified correctly, ${incorrect.length} classified incorrectly`);
  out.line('');
  out.line('Confusion matrix (rows: true label, columns: predicted label):');
  out.line(confusionTable(matrix, data.classNames.map((_, c) => label(c))));
  out.line('');
  out.line(`Wrote ${confusionFile}, ${misclassifiedFile}`);
  out.result({
    model: flags.model,
    dataset: data.name,
    count: test.count,
    loss,
    accuracy,
    correct: correct.length,
    incorrect: incorrect.length,
    confusionMatrix: matrix,
    misclassified: incorrect.map((i) => ({ index: i, label: test.labels[i], predicted: predicted[i] })),
    files: { confusion: confusionFile, misclassified: misclassifiedFile },
  });
}

function confusionTable(matrix: number[][], labels: string[]): string {
  const width = Math.max(5, ...matrix.flat().map((n) => String(n).length + 1));
  const header = `${''.padStart(4)}${labels.map((l) => l.padStart(width)).join('')}`;
  const rows = matrix.map((row, t) => `${labels[t]!.padStart(3)} ${row.map((n) => String(n).padStart(width)).join('')}`);
  return [header, ...rows].join('\n');
}
