import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classCounts, imageAt, type Dataset } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDigit, type Variant } from './test-utils/render-digits';
import { pngSize, runDigits, type RunResult } from './test-utils/run';

// One small training run shared by the whole flow: train -> evaluate -> predict -> export -> import.
const LIMIT = 2000;
const EPOCHS = 2;

interface Prediction {
  source: string;
  digit: number;
  probability: number;
  probabilities: number[];
  inverted?: boolean;
  label?: number;
  shown?: string;
}

let work: string;
let data: Dataset;
let trained: RunResult;

const model = () => join(work, 'model');
/** JavaScript stack frames (native libraries may log their own "at" lines, e.g. Dawn probing for a GPU). */
const JS_FRAME = /^\s+at .*(\.[cm]?[jt]s|node:[\w/]+):\d+:\d+\)?$/;
const ok = (result: RunResult) => {
  expect(result.stderr.split('\n').filter((l) => JS_FRAME.test(l))).toEqual([]);
  // tfjs's developer banner ("install tfjs-node", which cannot be installed) is not for users
  expect(result.stderr).not.toMatch(/running TensorFlow\.js in Node/);
  expect(result.code, result.stderr).toBe(0);
  return result;
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-e2e-'));
  data = await loadMnist();
  trained = await runDigits(['train', '--limit', String(LIMIT), '--epochs', String(EPOCHS), '--out', 'model'], { cwd: work });
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('digits train', () => {
  it('prints the backend, Keras-style epoch lines and the test evaluation', () => {
    ok(trained);
    expect(trained.stdout).toMatch(/^Backend: \S+ - .+/m);
    const epochLines = trained.stdout.match(/^Epoch \d+\/2 - .*$/gm) ?? [];
    expect(epochLines).toHaveLength(EPOCHS);
    for (const [i, line] of epochLines.entries()) {
      expect(line).toMatch(new RegExp(`^Epoch ${i + 1}/2 - \\d+\\.\\ds - loss: \\d\\.\\d{4} - acc: \\d\\.\\d{4} - val_loss: \\d\\.\\d{4} - val_acc: \\d\\.\\d{4}$`));
    }
    const accuracy = Number(/^Test accuracy: (\d\.\d+)$/m.exec(trained.stdout)?.[1]);
    // 2000 images, 2 epochs: far better than chance (0.1), far from the full run
    expect(accuracy).toBeGreaterThan(0.8);
    expect(trained.stdout).toContain('Saved the model to model');
  });

  it('writes the model, history.json/csv with every epoch once, and the two plots', () => {
    for (const file of ['model.json', 'weights.bin', 'history.json', 'history.csv', 'accuracy.png', 'loss.png']) {
      expect(existsSync(join(model(), file)), file).toBe(true);
    }
    const history = JSON.parse(readFileSync(join(model(), 'history.json'), 'utf8'));
    expect(history.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(history.history.val_acc).toHaveLength(EPOCHS);
    const csv = readFileSync(join(model(), 'history.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,loss,acc,val_loss,val_acc,seconds');
    expect(csv.slice(1).map((row) => Number(row.split(',')[0]))).toEqual([1, 2]);
    expect(Number(csv[2]!.split(',')[4])).toBeCloseTo(history.epochs[1].val_acc, 10);
    expect(pngSize(join(model(), 'accuracy.png'))).toEqual({ width: 640, height: 420 });
    expect(pngSize(join(model(), 'loss.png'))).toEqual({ width: 640, height: 420 });

    const card = JSON.parse(readFileSync(join(model(), 'model.json'), 'utf8')).userDefinedMetadata.digitsModelCard;
    expect(card.training).toMatchObject({ arch: 'mlp', epochs: EPOCHS, limit: LIMIT, completedEpochs: EPOCHS });
    // the dataset's identity (what a resume checks); the images trained on are training.limit
    expect(card.dataset).toMatchObject({ name: 'mnist', source: 'mnist', trainCount: 60000, testCount: 10000, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(card.testAccuracy).toBeGreaterThan(0.8);
  });
});

describe('digits evaluate', () => {
  let result: RunResult;
  beforeAll(async () => {
    result = await runDigits(['evaluate', '--model', 'model', '--json'], { cwd: work });
  }, 120_000);

  it('counts correct and incorrect test digits and builds the confusion matrix', () => {
    ok(result);
    const report = JSON.parse(result.stdout);
    expect(report.correct + report.incorrect).toBe(10000);
    expect(report.accuracy).toBeCloseTo(report.correct / 10000, 10);
    const rowSums = report.confusionMatrix.map((row: number[]) => row.reduce((a, b) => a + b, 0));
    expect(rowSums).toEqual(classCounts(data.test.labels));
    const diagonal = report.confusionMatrix.reduce((sum: number, row: number[], i: number) => sum + row[i]!, 0);
    expect(diagonal).toBe(report.correct);
    expect(report.misclassified).toHaveLength(report.incorrect);
    for (const m of report.misclassified.slice(0, 20)) {
      expect(m.label).toBe(data.test.labels[m.index]);
      expect(m.predicted).not.toBe(m.label);
    }
  });

  it('writes confusion.png and misclassified.png', () => {
    expect(pngSize(join(model(), 'confusion.png'))).toEqual({ width: 560, height: 520 });
    // 15 digits in 5 columns: 3 rows of 112px images with captions, plus the title
    expect(pngSize(join(model(), 'misclassified.png'))).toEqual({ width: 632, height: 36 + 3 * 150 + 12 });
  });

  it('prints the tutorial summary line and the table in text mode', async () => {
    const text = ok(await runDigits(['evaluate', '--model', 'model', '--limit', '500', '--out', 'eval'], { cwd: work }));
    const [, correct, incorrect] = /^(\d+) classified correctly, (\d+) classified incorrectly$/m.exec(text.stdout) ?? [];
    expect(Number(correct) + Number(incorrect)).toBe(500);
    expect(text.stdout).toMatch(/^Confusion matrix \(rows: true label, columns: predicted label\):$/m);
    expect(existsSync(join(work, 'eval', 'confusion.png'))).toBe(true);
  });
});

describe('digits predict, export, import', () => {
  const variants: Variant[] = ['off-centre', 'scaled', 'dark-on-light', 'transparent'];
  let files: string[] = [];
  let labels: number[] = [];
  let predictions: Prediction[];

  const predict = async (args: string[]) => JSON.parse(ok(await runDigits(['predict', ...args, '--json'], { cwd: work })).stdout) as Prediction[];

  beforeAll(async () => {
    // Pick test digits the small model is sure about, then redraw them the ways people send them.
    const pool = Array.from({ length: 24 }, (_, i) => i);
    const plain = pool.map((i) => renderDigit(work, `plain-${i}`, imageAt(data.test, i), 'off-centre'));
    const first = await predict(['--model', 'model', ...plain]);
    const sure = pool.filter((i, k) => first[k]!.digit === data.test.labels[i] && first[k]!.probability > 0.9);
    expect(sure.length).toBeGreaterThanOrEqual(variants.length);
    const chosen = sure.slice(0, variants.length);
    labels = chosen.map((i) => data.test.labels[i]!);
    files = chosen.map((i, k) => renderDigit(work, `${variants[k]}-${i}`, imageAt(data.test, i), variants[k]!));
    predictions = await predict(['--model', 'model', '--show', '--show-dir', 'seen', ...files]);
  }, 120_000);

  it('recognizes off-centre, scaled, dark-on-light (JPEG) and transparent-background digits', () => {
    expect(predictions.map((p) => p.digit)).toEqual(labels);
    for (const p of predictions) {
      expect(p.probabilities).toHaveLength(10);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    expect(predictions.map((p) => p.inverted)).toEqual([false, false, true, false]);
  });

  it('--show writes the 28x28 images the model saw', () => {
    for (const p of predictions) expect(pngSize(join(work, p.shown!))).toEqual({ width: 28, height: 28 });
  });

  it('--index predicts a test image and reports its label', async () => {
    const [p] = await predict(['--model', 'model', '--index', '0']);
    expect(p!.label).toBe(data.test.labels[0]);
    expect(p!.source).toBe('test-0');
  });

  // HDF5 files start with \x89HDF\r\n\x1a\n, .keras files are zip archives (PK\x03\x04)
  it.each([
    ['h5', [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]],
    ['keras', [0x50, 0x4b, 0x03, 0x04]],
  ])('exports to Keras .%s, imports it back, and predicts the same', async (format, magic) => {
    const file = `digits.${format}`;
    ok(await runDigits(['export', '--model', 'model', '--format', format, '--out', file], { cwd: work }));
    expect([...readFileSync(join(work, file)).subarray(0, magic.length)]).toEqual(magic);
    const imported = ok(await runDigits(['import', file, '--out', `imported-${format}`], { cwd: work }));
    expect(imported.stdout).toMatch(new RegExp(`^Imported digits\\.${format} .* into imported-${format}$`, 'm'));
    const again = await predict(['--model', `imported-${format}`, ...files]);
    expect(again.map((p) => p.digit)).toEqual(predictions.map((p) => p.digit));
    again.forEach((p, k) => p.probabilities.forEach((v, c) => expect(v).toBeCloseTo(predictions[k]!.probabilities[c]!, 5)));
  });

  it('exports a uint8-quantized tfjs model that still predicts the same digits', async () => {
    ok(await runDigits(['export', '--model', 'model', '--format', 'tfjs', '--quantize', 'uint8', '--out', 'small'], { cwd: work }));
    const full = readFileSync(join(model(), 'weights.bin')).byteLength;
    expect(readFileSync(join(work, 'small', 'weights.bin')).byteLength).toBeLessThan(full / 3);
    const quantized = await predict(['--model', 'small', ...files]);
    expect(quantized.map((p) => p.digit)).toEqual(labels);
  });
});

describe('digits inspect', () => {
  it('reports shapes, counts per class, one-hot labels and writes the two PNGs', async () => {
    const result = ok(await runDigits(['inspect', '--out', 'inspect', '--json'], { cwd: work }));
    const report = JSON.parse(result.stdout);
    expect(report.train.shape).toEqual([60000, 28, 28]);
    expect(report.train.counts).toEqual(classCounts(data.train.labels));
    expect(report.firstLabels).toEqual(Array.from(data.train.labels.subarray(0, 5)));
    report.firstOneHot.forEach((row: number[], i: number) => {
      expect(row.indexOf(1)).toBe(report.firstLabels[i]);
      expect(row.reduce((a, b) => a + b, 0)).toBe(1);
    });
    expect(report.histograms.map((h: { counts: number[] }) => h.counts.reduce((a, b) => a + b, 0))).toEqual([784, 784]);
    expect(pngSize(join(work, 'inspect', 'first-10-train.png'))).toEqual({ width: 632, height: 36 + 2 * 150 + 12 });
    expect(pngSize(join(work, 'inspect', 'pixel-histogram.png'))).toEqual({ width: 640, height: 420 });
  });

  it('draws a training digit in the terminal', async () => {
    const result = ok(await runDigits(['inspect', '--out', 'inspect', '--preview', '1'], { cwd: work }));
    expect(result.stdout).toContain(`Training image 1 (label ${data.train.labels[1]}):`);
    expect(result.stdout).toMatch(/@@/);
  });
});
