import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedMnistDir } from '@digits/mnist-data/node';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDigits, type RunResult } from './test-utils/run';

// Every user mistake ends in one line on stderr naming the problem, a non-zero exit, no stack trace.
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-mistakes-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (...args: string[]) => runDigits(args, { cwd: work });
/** Optional peer dependencies of @digits/model that the CLI does not install (see its README). */
const GPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];

function expectOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe('');
}

describe('usage mistakes (exit code 2)', () => {
  it('unknown flag, with a suggestion', async () => {
    expectOneLineError(await run('train', '--epoch', '3'), 2, /^digits: error: unknown option '--epoch'.*Did you mean --epochs\?/);
  });

  it('unknown command', async () => {
    expectOneLineError(await run('fit'), 2, /^digits: error: unknown command 'fit'/);
  });

  it('a bad number', async () => {
    expectOneLineError(await run('train', '--epochs', 'many'), 2, /--epochs needs an integer >= 1, got 'many'/);
  });

  it('a value outside the choices', async () => {
    expectOneLineError(await run('export', '--format', 'onnx', '--out', 'x'), 2, /argument 'onnx' is invalid.*Allowed choices are tfjs, h5, keras/);
  });

  it('a missing required option', async () => {
    expectOneLineError(await run('import', 'model.h5'), 2, /required option '--out <dir>' not specified/);
  });
});

describe('mistakes about files (exit code 1, the file named)', () => {
  it('model directory that does not exist', async () => {
    expectOneLineError(await run('evaluate', '--model', 'no-such-model'), 1, /^digits: error: no-such-model\/model\.json: file not found \[MODEL_NOT_FOUND\]$/);
  });

  it('corrupt model.json', async () => {
    mkdirSync(join(work, 'corrupt'), { recursive: true });
    writeFileSync(join(work, 'corrupt', 'model.json'), '{"modelTopology": {"class_name": "Sequen');
    expectOneLineError(await run('evaluate', '--model', 'corrupt'), 1, /^digits: error: corrupt\/model\.json: not valid JSON: .* \[MODEL_INVALID\]$/);
  });

  it('truncated weights', async () => {
    mkdirSync(join(work, 'truncated'), { recursive: true });
    const manifest = [{ paths: ['weights.bin'], weights: [{ name: 'dense/kernel', shape: [784, 10], dtype: 'float32' }] }];
    writeFileSync(join(work, 'truncated', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: manifest }));
    writeFileSync(join(work, 'truncated', 'weights.bin'), new Uint8Array(1000));
    expectOneLineError(await run('predict', '--model', 'truncated', '--index', '0'), 1, /truncated\/weights\.bin: .*1000 bytes.*31360 bytes.* \[MODEL_WEIGHTS_INVALID\]$/);
  });

  it('image file that does not exist', async () => {
    expectOneLineError(await run('predict', 'missing.png'), 1, /^digits: error: missing\.png: file not found \[BAD_IMAGE\]$/);
  });

  it('an image path that is not a regular file (a directory)', async () => {
    mkdirSync(join(work, 'photos'), { recursive: true });
    expectOneLineError(await run('predict', 'photos'), 1, /^digits: error: photos: not a regular file but a directory; only regular files are read \[NOT_A_REGULAR_FILE\]$/);
  });

  it('a backend that is not installed', async () => {
    expectOneLineError(await run('train', '--limit', '100', '--backend', 'tensorflow'), 1, /@tensorflow\/tfjs-node is not installed .*\[BACKEND_UNAVAILABLE\]$/);
  });

  it('--backend webgpu without the optional GPU packages: the one npm command that installs them', async () => {
    const result = await runDigits(['train', '--limit', '100', '--backend', 'webgpu'], { cwd: work, notInstalled: GPU_PACKAGES });
    expectOneLineError(
      result,
      1,
      /^digits: error: webgpu and @tensorflow\/tfjs-backend-webgpu are not installed \(npm install webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0\) \[BACKEND_UNAVAILABLE\]$/,
    );
  });

  it('a file that is not an image', async () => {
    writeFileSync(join(work, 'notes.png'), 'these are not pixels\n');
    expectOneLineError(await run('predict', 'notes.png'), 1, /^digits: error: notes\.png: not a PNG or JPEG image \[BAD_IMAGE\]$/);
  });

  it('a damaged PNG', async () => {
    const png = new PNG({ width: 40, height: 40 });
    const bytes = PNG.sync.write(png);
    writeFileSync(join(work, 'cut.png'), bytes.subarray(0, bytes.length - 30));
    expectOneLineError(await run('predict', 'cut.png'), 1, /^digits: error: cut\.png: damaged image: .* \[BAD_IMAGE\]$/);
  });

  it('a blank image', async () => {
    const png = new PNG({ width: 40, height: 40 });
    png.data.fill(255);
    writeFileSync(join(work, 'blank.png'), PNG.sync.write(png));
    expectOneLineError(await run('predict', 'blank.png'), 1, /blank\.png.*\[NO_INK\]$/);
  });

  it('dataset directory missing a file', async () => {
    const source = embeddedMnistDir()!;
    const dir = join(work, 'three-files');
    mkdirSync(dir, { recursive: true });
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte']) {
      copyFileSync(join(source, name), join(dir, name));
    }
    expectOneLineError(await run('inspect', '--dataset', dir), 1, /three-files: no t10k-labels-idx1-ubyte.* in this directory \[DATASET_FILE_MISSING\]$/);
  });

  it('nothing to predict', async () => {
    expectOneLineError(await run('predict'), 1, /nothing to predict: give image files or --index N \[BAD_ARGUMENT\]$/);
  });

  it('--quantize with a Keras format', async () => {
    expectOneLineError(await run('export', '--format', 'h5', '--quantize', 'uint8', '--out', 'm.h5'), 1, /--quantize applies to --format tfjs only, not h5 \[BAD_ARGUMENT\]$/);
  });

  it('--debug adds the stack trace', async () => {
    const result = await run('predict', 'notes.png', '--debug');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^digits: error: notes\.png: not a PNG or JPEG image \[BAD_IMAGE\]\n/);
    expect(result.stderr).toMatch(/^\s+at /m);
  });
});
