import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { encodeIdx, IDX_FILE_NAMES, type IdxArray } from '@digits/mnist-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDigits, type RunResult } from './test-utils/run';

// No silent wrong answers: a NaN, a model of the wrong shape, a damaged or weights-only Keras file,
// images of the wrong size each end in one `digits: error: ... [CODE]` line, exit 1, no user file
// changed, well under 1 GB. The bad files are made here from a small real model and real fixtures.
const KERAS = resolve(import.meta.dirname, '../../../../shared/fixtures/keras');
const fixture = (name: string) => join(KERAS, name);

let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-answers-'));
  const trained = await runDigits(['train', '--limit', '300', '--epochs', '1', '--out', 'model'], { cwd: work });
  expect(trained.code, trained.stderr).toBe(0);
  for (const [dir, side] of [['idx10', 10], ['idx0', 0]] as const) writeDataset(join(work, dir), side);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** sha256 of every file under the work directory, by relative path. */
function snapshot(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(work, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(work);
  return files;
}

/** Runs digits and checks the failure: exit 1, one error line with its code, nothing written, < 1 GB. */
async function fails(args: string[], code: string, message: RegExp): Promise<RunResult> {
  const before = snapshot();
  const result = await runDigits(args, { cwd: work, measure: true, timeoutMs: 60_000 });
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^digits: error: .* \\[${code}\\]$`));
  expect(lines[0]).toMatch(message);
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).not.toMatch(/NaN|%\)/); // no result printed before the error
  expect(snapshot()).toEqual(before);
  expect(result.maxRssKb).toBeGreaterThan(0);
  expect(result.maxRssKb!).toBeLessThan(1_000_000);
  return result;
}

function copyModel(name: string): string {
  cpSync(join(work, 'model'), join(work, name), { recursive: true });
  return join(work, name);
}

describe('non-finite weights', () => {
  it('a NaN in weights.bin: predict and evaluate refuse to load the model, naming the tensor', async () => {
    const dir = copyModel('nan');
    const weights = readFileSync(join(dir, 'weights.bin'));
    weights.writeFloatLE(NaN, 4 * 1234);
    writeFileSync(join(dir, 'weights.bin'), weights);
    const why = /^digits: error: nan\/model\.json: weight "dense_1\/kernel" holds 1 non-finite value \(NaN at index 1234\)/;
    await fails(['predict', '--model', 'nan', '--index', '0'], 'MODEL_WEIGHTS_NOT_FINITE', why);
    await fails(['evaluate', '--model', 'nan', '--limit', '100'], 'MODEL_WEIGHTS_NOT_FINITE', why);
  });

  it("Infinity in the optimizer state saved for --resume (Adam's last moment)", async () => {
    const dir = copyModel('inf');
    const weights = readFileSync(join(dir, 'weights.bin'));
    weights.writeFloatLE(Infinity, weights.length - 4);
    writeFileSync(join(dir, 'weights.bin'), weights);
    await fails(['predict', '--model', 'inf', '--index', '0'], 'MODEL_WEIGHTS_NOT_FINITE', /^digits: error: inf\/model\.json: weight "dense_\d+\/bias\/v" holds 1 non-finite value \(Infinity at index 9\)/);
  });
});

describe('a model of the wrong shape', () => {
  it('the dense4x6 Keras file imports, then predict and evaluate say why it cannot classify digits', async () => {
    const imported = await runDigits(['import', fixture('keras1.2.2_tf_dense4x6.full.h5'), '--out', 'dense4x6'], { cwd: work });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^Note: digits evaluate and predict cannot use this model for 28x28 digits: the model takes inputs of shape \[4\]/m);
    const why = /^digits: error: dense4x6: this model cannot classify .*28x28 images.*: the model takes inputs of shape \[4\] per sample, but the images are 28x28 \(784 pixels, one channel\)/;
    await fails(['predict', '--model', 'dense4x6', '--index', '0'], 'MODEL_SHAPE_MISMATCH', why);
    await fails(['evaluate', '--model', 'dense4x6', '--limit', '100'], 'MODEL_SHAPE_MISMATCH', why);
  });
});

describe('Keras files', () => {
  it('a weights-only (save_weights) file imports with --config, and predicts like the real model', async () => {
    const args = ['import', fixture('keras2.0.6_tf_mnist_mlp.weights.h5'), '--config', fixture('keras2.0.6_tf_mnist_mlp.config.json'), '--out', 'weights-only'];
    const imported = await runDigits(args, { cwd: work });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/with the architecture in .*keras2\.0\.6_tf_mnist_mlp\.config\.json \(5 layers, 669,706 parameters\)/);
    expect(imported.stdout).not.toMatch(/Note:/);
    const evaluated = await runDigits(['evaluate', '--model', 'weights-only', '--limit', '500', '--json'], { cwd: work });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    // the Keras 2.0.6 tutorial MLP is a trained model: far above chance on real test digits
    expect(JSON.parse(evaluated.stdout).accuracy).toBeGreaterThan(0.9);
  });

  it('without --config: KERAS_CONFIG_MISSING says to give --config', async () => {
    await fails(['import', fixture('keras2.0.6_tf_mnist_mlp.weights.h5'), '--out', 'no-config'], 'KERAS_CONFIG_MISSING', /save_weights file: pass the architecture with --config CONFIG\.json/);
  });

  it('a truncated .h5: one line saying it is truncated, no HDF5-DIAG', async () => {
    writeFileSync(join(work, 'truncated.h5'), readFileSync(fixture('keras1.2.2_tf_dense4x6.full.h5')).subarray(0, 5000));
    const result = await fails(['import', 'truncated.h5', '--out', 'truncated'], 'MODEL_INVALID', /^digits: error: truncated\.h5: the HDF5 file could not be opened: the file is truncated: 5000 of \d+ bytes/);
    expect(result.stderr + result.stdout).not.toMatch(/HDF5-DIAG/);
  });

  it('the file is named once in each message', async () => {
    const once = (result: RunResult, name: string) => expect(result.stderr.split(name)).toHaveLength(2);
    once(await fails(['import', 'missing.h5', '--out', 'x'], 'MODEL_NOT_FOUND', /^digits: error: missing\.h5: file not found/), 'missing.h5');
    // Node's own message would name the path a second time ("ENOTDIR: not a directory, open '...'")
    writeFileSync(join(work, 'notes.txt'), 'mine');
    once(await fails(['import', 'notes.txt/model.h5', '--out', 'x'], 'MODEL_NOT_FOUND', /^digits: error: notes\.txt\/model\.h5: cannot read file: a part of the path is not a directory \(ENOTDIR\)/), 'notes.txt/model.h5');
    once(await fails(['import', fixture('keras2.0.6_tf_mnist_mlp.weights.h5'), '--config', 'missing-config.json', '--out', 'x'], 'MODEL_NOT_FOUND', /missing-config\.json: file not found/), 'missing-config.json');
  });
});

describe('images and weights of the wrong kind', () => {
  it('10x10 images: train, evaluate and predict say the model takes 28x28', async () => {
    const why = /the model takes inputs of shape \[784\] per sample, but the images are 10x10 \(100 pixels, one channel\)/;
    await fails(['train', '--dataset', 'idx10', '--epochs', '1', '--out', 'small'], 'MODEL_SHAPE_MISMATCH', why);
    await fails(['evaluate', '--model', 'model', '--dataset', 'idx10'], 'MODEL_SHAPE_MISMATCH', why);
    await fails(['predict', '--model', 'model', '--dataset', 'idx10', '--index', '0'], 'MODEL_SHAPE_MISMATCH', why);
  });

  it('0x0 images: IDX_BAD_IMAGE_SIZE naming the images file', async () => {
    await fails(['train', '--dataset', 'idx0', '--epochs', '1', '--out', 'empty'], 'IDX_BAD_IMAGE_SIZE', new RegExp(`idx0/${IDX_FILE_NAMES.trainImages}: the images are 0x0: an image needs at least one pixel`));
  });

  it('a kernel labelled int32 in model.json: MODEL_WEIGHTS_INVALID naming it', async () => {
    const dir = copyModel('int32');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights[0].dtype = 'int32';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await fails(['evaluate', '--model', 'int32', '--limit', '100'], 'MODEL_WEIGHTS_INVALID', /^digits: error: int32\/model\.json: weight "dense_1\/kernel" is stored as int32 in the manifest but the model's variable is float32/);
  });
});

/** An MNIST-layout directory of 20 training and 10 test images of side x side pixels. */
function writeDataset(dir: string, side: number): void {
  mkdirSync(dir, { recursive: true });
  const images = (count: number): IdxArray => ({ dtype: 'uint8', dims: [count, side, side], data: new Uint8Array(count * side * side).fill(200) });
  const labels = (count: number): IdxArray => ({ dtype: 'uint8', dims: [count], data: Uint8Array.from({ length: count }, (_, i) => i % 10) });
  writeFileSync(join(dir, IDX_FILE_NAMES.trainImages), encodeIdx(images(20)));
  writeFileSync(join(dir, IDX_FILE_NAMES.trainLabels), encodeIdx(labels(20)));
  writeFileSync(join(dir, IDX_FILE_NAMES.testImages), encodeIdx(images(10)));
  writeFileSync(join(dir, IDX_FILE_NAMES.testLabels), encodeIdx(labels(10)));
}
