import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedMnistDir } from '@digits/mnist-data/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, pngSize, runDigits, startDigits, type RunResult } from './test-utils/run';

// "No user file is ever deleted or replaced without asking" (issue 12, section 1), against the built
// CLI: each refusal exits non-zero with one `digits: error: ... [CODE]` line, changes no file, and
// stays far below 1 GB of memory.
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-safety-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TINY = ['--limit', '300', '--epochs', '1'];
const run = (args: string[], cwd = work) => runDigits(args, { cwd, measure: true, timeoutMs: 120_000 });

/** Every file and directory under `dir` (dot-files included) with the SHA-256 of each file's bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = entry.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'dir';
  }
  return out;
}

function expectRefusal(result: RunResult, exitCode: number, pattern: RegExp): void {
  expect(result.timedOut).toBeUndefined();
  expect(result.code, result.stderr).toBe(exitCode);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^digits: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stdout).toBe('');
  expectSmall(result);
}

function expectSmall(result: RunResult): void {
  expect(result.maxRssKb).toBeGreaterThan(0);
  expect(result.maxRssKb!).toBeLessThan(1024 * 1024);
}

/** A trained model directory of our own, made by the real CLI. */
async function trainedModel(name: string, extra: string[] = []): Promise<string> {
  const result = await run(['train', ...TINY, '--out', name, ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return join(work, name);
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let model: string;
beforeAll(async () => {
  model = await trainedModel('model');
}, 120_000);

describe('only files digits wrote are ever replaced', () => {
  it('the issue-12 repro: export/train/import --out a directory with model.json, README.md and src/ is refused, nothing changes', async () => {
    const p = join(work, 'p');
    mkdirSync(join(p, 'src'), { recursive: true });
    writeFileSync(join(p, 'model.json'), '{}');
    writeFileSync(join(p, 'README.md'), 'notes\n');
    writeFileSync(join(p, 'src', 'main.ts'), 'x\n');
    const before = tree(work);
    const message = /^digits: error: p: holds files digits did not write \(README\.md, src\/\); choose an empty or new directory \[TARGET_NOT_OURS\]$/;
    expectRefusal(await run(['export', '--model', 'model', '--out', 'p']), 1, message);
    expectRefusal(await run(['export', '--model', 'model', '--out', 'p', '--force']), 1, message);
    expectRefusal(await run(['train', ...TINY, '--out', 'p', '--force']), 1, message);
    ok(await run(['export', '--model', 'model', '--format', 'h5', '--out', 'm.h5', '--force']));
    const withH5 = tree(work);
    expectRefusal(await run(['import', 'm.h5', '--out', 'p', '--force']), 1, message);
    expect(tree(work)).toEqual(withH5);
    rmSync(join(work, 'm.h5'));
    expect(tree(work)).toEqual(before);
  }, 120_000);

  it('train --out an existing trained model is refused before training, naming the flag; --force replaces it', async () => {
    const before = tree(work);
    const refused = await run(['train', '--limit', '1000', '--epochs', '1', '--out', 'model']);
    expectRefusal(refused, 1, /^digits: error: model: already holds a saved model; add --force to replace it \(or --resume model to continue its training\) \[MODEL_EXISTS\]$/);
    expect(tree(work)).toEqual(before);
    const weights = readFileSync(join(model, 'weights.bin'));
    const forced = await run(['train', ...TINY, '--seed', '7', '--out', 'model', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expectSmall(forced);
    expect(readFileSync(join(model, 'weights.bin')).equals(weights)).toBe(false);
    expect(readdirSync(model).sort()).toEqual(['accuracy.png', 'history.csv', 'history.json', 'loss.png', 'model.json', 'weights.bin']);
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 120_000);

  it('export and import over an existing model or Keras file need --force; a file that is not a model is never replaced', async () => {
    ok(await run(['export', '--model', 'model', '--out', 'copy']));
    ok(await run(['export', '--model', 'model', '--format', 'h5', '--out', 'copy.h5']));
    writeFileSync(join(work, 'notes.h5'), 'my notes\n');
    const before = tree(work);
    expectRefusal(await run(['export', '--model', 'model', '--out', 'copy']), 1, /^digits: error: copy: already holds a saved model; add --force to replace it \[MODEL_EXISTS\]$/);
    expectRefusal(await run(['export', '--model', 'model', '--format', 'h5', '--out', 'copy.h5']), 1, /^digits: error: copy\.h5: already holds a saved model; add --force to replace it \[MODEL_EXISTS\]$/);
    expectRefusal(await run(['import', 'copy.h5', '--out', 'copy']), 1, /^digits: error: copy: already holds a saved model; add --force to replace it \[MODEL_EXISTS\]$/);
    expectRefusal(await run(['export', '--model', 'model', '--format', 'h5', '--out', 'notes.h5', '--force']), 1, /^digits: error: notes\.h5: exists and is not a Keras model; .* \[TARGET_NOT_OURS\]$/);
    expect(tree(work)).toEqual(before);
    ok(await run(['import', 'copy.h5', '--out', 'copy', '--force']));
    ok(await run(['export', '--model', 'copy', '--format', 'h5', '--out', 'copy.h5', '--force']));
    expect(readFileSync(join(work, 'notes.h5'), 'utf8')).toBe('my notes\n');
  }, 120_000);
});

describe('one writer at a time', () => {
  it('a second run on the same --out is TARGET_LOCKED; after a kill -9 the dead run\'s lock and temp dir are taken over and cleaned', async () => {
    const dir = join(work, 'busy');
    const first = startDigits(['train', '--limit', '1000', '--batch-size', '64', '--validation-split', '0.2', '--epochs', '20', '--out', 'busy'], { cwd: work });
    const done = finished(first);
    const lock = join(work, '.busy.digits-lock');
    // the starting point (epoch 0) is saved right after the lock is taken
    await waitFor(() => existsSync(join(dir, 'model.json')), 'the first checkpoint');
    const before = tree(dir);
    expectRefusal(await run(['train', ...TINY, '--out', 'busy', '--force']), 1, new RegExp(`^digits: error: busy: another digits process \\(pid ${first.pid}, since .*\\) is writing here; wait for it to finish \\(if no such process is running, delete .*\\.busy\\.digits-lock\\) \\[TARGET_LOCKED\\]$`));
    expectRefusal(await run(['export', '--model', 'model', '--out', 'busy', '--force']), 1, /\[TARGET_LOCKED\]$/);
    first.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(existsSync(lock)).toBe(true);
    // what a kill during a save leaves behind: a temp directory of ours, marked with the dead pid
    const temp = join(work, `.busy.tmp-${first.pid}-Xy12Ab`);
    mkdirSync(temp);
    writeFileSync(join(temp, '.digits-temp'), JSON.stringify({ pid: first.pid, host: hostname(), createdAt: new Date().toISOString() }));
    writeFileSync(join(temp, 'weights.bin'), new Uint8Array(1 << 20));
    expect(tree(dir)).not.toEqual({}); // the killed run's checkpoint is still there
    const resumed = await run(['train', '--resume', 'busy', '--epochs', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectSmall(resumed);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(temp)).toBe(false);
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(before['model.json']).toBeDefined();
  }, 180_000);
});

describe('--out is a path, never a URL', () => {
  it('train/export/import --out http://... is a usage error: nothing is sent, no directory "http:" appears', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
    try {
      const before = tree(work);
      const message = /^digits: error: option '--out <\w+>' argument 'http:\/\/127\.0\.0\.1:\d+\/upload' is invalid\. --out takes a path on this machine, not a URL; digits does not upload models$/;
      expectRefusal(await run(['export', '--model', 'model', '--out', url]), 2, message);
      expectRefusal(await run(['train', ...TINY, '--out', url]), 2, message);
      expectRefusal(await run(['import', 'x.h5', '--out', url]), 2, message);
      expect(requests).toBe(0);
      expect(tree(work)).toEqual(before);
    } finally {
      server.close();
    }
  }, 120_000);
});

describe('Ctrl-C during the first epoch', () => {
  // an epoch long enough (~0.5-3 s) for the signal to land inside it, short enough to resume
  const LONG_EPOCH = ['--limit', '6000', '--batch-size', '32', '--epochs', '3'];

  it('saves the starting point, says "Continue with --resume", and that resume works', async () => {
    const dir = join(work, 'early');
    const child = startDigits(['train', ...LONG_EPOCH, '--out', 'early'], { cwd: work });
    const done = finished(child);
    await waitFor(() => existsSync(join(dir, 'model.json')), 'the starting checkpoint');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stdout).not.toMatch(/^Epoch 1\/3/m);
    expect(result.stderr).toContain('Interrupted: no epoch completed; the starting point (epoch 0) is saved in early');
    expect(result.stderr).toContain('Continue with: digits train --resume early');
    const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).userDefinedMetadata.digitsModelCard;
    expect(card.history).toEqual([]);
    // the advertised command works (for one epoch: --epochs is the one setting a resume may change)
    const resumed = await run(['train', '--resume', 'early', '--epochs', '1']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Resuming early after epoch 0');
    expect(resumed.stdout).toMatch(/^Epoch 1\/1 /m);
  }, 240_000);

  it('over a model replaced with --force, the old model stays and --resume is not advertised', async () => {
    const old = await trainedModel('kept');
    const before = tree(old);
    const child = startDigits(['train', ...LONG_EPOCH, '--out', 'kept', '--force'], { cwd: work });
    const done = finished(child);
    // no starting checkpoint is written over the old model: wait for training to begin instead
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor(() => /^Training the MLP/m.test(stdout), 'training to start');
    child.kill('SIGINT');
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('Interrupted before the first epoch completed: nothing was saved, kept still holds the model it held before');
    expect(result.stderr).not.toContain('--resume');
    expect(tree(old)).toEqual(before);
  }, 240_000);
});

describe('resume: the dataset by absolute path and checksums', () => {
  it('resumes from another working directory; a changed dataset is DATASET_CHANGED and nothing changes', async () => {
    const data = join(work, 'my-data');
    mkdirSync(data);
    for (const name of readdirSync(embeddedMnistDir()!)) copyFileSync(join(embeddedMnistDir()!, name), join(data, name));
    ok(await run(['train', ...TINY, '--dataset', 'my-data', '--out', 'own-data']));
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const resumed = await run(['train', '--resume', join(work, 'own-data'), '--epochs', '2'], elsewhere);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Epoch 2\/2 /m);
    const card = JSON.parse(readFileSync(join(work, 'own-data', 'model.json'), 'utf8')).userDefinedMetadata.digitsModelCard;
    expect(card.dataset).toMatchObject({ source: data, trainCount: 60000, testCount: 10000, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    // one training label changed: the same files by name, other contents
    const labels = join(data, 'train-labels-idx1-ubyte');
    const bytes = readFileSync(labels);
    bytes[8 + 100] = (bytes[8 + 100]! + 1) % 10;
    writeFileSync(labels, bytes);
    const before = tree(work);
    const changed = await run(['train', '--resume', join(work, 'own-data'), '--epochs', '3'], elsewhere);
    expectRefusal(changed, 1, new RegExp(`^digits: error: ${data}: is not the dataset this checkpoint was trained on \\(content SHA-256 [0-9a-f]{12}\\.\\.\\. now, [0-9a-f]{12}\\.\\.\\. then\\); resume with the same data or start a new run \\[DATASET_CHANGED\\]$`));
    expect(tree(work)).toEqual(before);
  }, 180_000);
});

function ok(result: RunResult): RunResult {
  expect(result.code, result.stderr).toBe(0);
  expectSmall(result);
  return result;
}

describe('plots and previews (evaluate, inspect, predict --show) replace only what digits wrote', () => {
  /** A real PNG (the README's, unmarked): what a user's own figure of the same name looks like. */
  const userPng = readFileSync(fileURLToPath(new URL('../docs/confusion.png', import.meta.url)));
  /** digits' mark: a tEXt chunk `Software: digits` right after the PNG header. */
  const marked = (file: string) => readFileSync(file).subarray(37, 56).toString('latin1') === 'tEXtSoftware\0digits';

  it("evaluate --out DIR: a user's confusion.png is refused before the model loads; --force replaces it; the next run replaces its own", async () => {
    const dir = join(work, 'figures');
    mkdirSync(dir);
    writeFileSync(join(dir, 'confusion.png'), userPng);
    writeFileSync(join(dir, 'notes.md'), 'mine\n');
    const before = tree(work);
    const evaluate = ['evaluate', '--model', 'model', '--limit', '100', '--out', 'figures'];
    expectRefusal(await run(evaluate), 1, /^digits: error: figures\/confusion\.png: exists and was not written by digits; add --force to replace it \[TARGET_NOT_OURS\]$/);
    expect(tree(work)).toEqual(before);
    ok(await run([...evaluate, '--force']));
    expect(marked(join(dir, 'confusion.png'))).toBe(true);
    ok(await run(evaluate));
    expect(pngSize(join(dir, 'misclassified.png')).width).toBeGreaterThan(100);
    expect(readdirSync(dir).sort()).toEqual(['confusion.png', 'misclassified.png', 'notes.md']);
    expect(readFileSync(join(dir, 'notes.md'), 'utf8')).toBe('mine\n');
  }, 120_000);

  it("into the model directory (evaluate's default) its own plot names are replaced, even unmarked; inspect --out and predict --show-dir refuse a user's file, --force replaces it", async () => {
    writeFileSync(join(model, 'confusion.png'), 'an old plot');
    ok(await run(['evaluate', '--model', 'model', '--limit', '100']));
    expect(marked(join(model, 'confusion.png'))).toBe(true);

    const dir = join(work, 'looks');
    mkdirSync(dir);
    writeFileSync(join(dir, 'pixel-histogram.png'), userPng);
    writeFileSync(join(dir, 'test-0.28x28.png'), userPng);
    const before = tree(work);
    expectRefusal(await run(['inspect', '--out', 'looks']), 1, /^digits: error: looks\/pixel-histogram\.png: exists and was not written by digits; add --force to replace it \[TARGET_NOT_OURS\]$/);
    expectRefusal(await run(['predict', '--model', 'model', '--index', '0', '--show', '--show-dir', 'looks']), 1, /^digits: error: looks\/test-0\.28x28\.png: exists and was not written by digits; add --force to replace it \[TARGET_NOT_OURS\]$/);
    expect(tree(work)).toEqual(before);
    ok(await run(['predict', '--model', 'model', '--index', '0', '--show', '--show-dir', 'looks', '--force']));
    expect(pngSize(join(dir, 'test-0.28x28.png'))).toEqual({ width: 28, height: 28 });
    expect(marked(join(dir, 'test-0.28x28.png'))).toBe(true);
    expect(readFileSync(join(dir, 'pixel-histogram.png')).equals(userPng)).toBe(true);
  }, 120_000);

  it('a link at an output name is never replaced, not even with --force; the file it points to is untouched', async () => {
    const dir = join(work, 'linked-figures');
    mkdirSync(dir);
    writeFileSync(join(work, 'thesis-figure.png'), userPng);
    symlinkSync(join(work, 'thesis-figure.png'), join(dir, 'confusion.png'));
    const before = tree(work);
    expectRefusal(await run(['evaluate', '--model', 'model', '--limit', '100', '--out', 'linked-figures', '--force']), 1, /^digits: error: linked-figures\/confusion\.png: is a symbolic link; digits replaces only files it wrote, remove it or choose another directory \[TARGET_NOT_OURS\]$/);
    expect(tree(work)).toEqual(before);
  }, 120_000);
});

describe('--out that is a symbolic link', () => {
  it('a link to a model directory is written through (the link stays, the directory it points to gets the model); a link to nothing is refused', async () => {
    ok(await run(['export', '--model', 'model', '--out', 'run-1']));
    symlinkSync(join(work, 'run-1'), join(work, 'latest'));
    const weights = readFileSync(join(work, 'run-1', 'weights.bin'));
    ok(await run(['export', '--model', 'model', '--quantize', 'uint8', '--out', 'latest', '--force']));
    expect(lstatSync(join(work, 'latest')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(work, 'run-1', 'weights.bin')).length).toBeLessThan(weights.length / 3);
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);

    symlinkSync(join(work, 'no-such-dir'), join(work, 'dangling'));
    const before = tree(work);
    expectRefusal(await run(['export', '--model', 'model', '--out', 'dangling']), 1, /^digits: error: dangling: is a symbolic link to a path that does not exist; create what it points to or choose another path \[TARGET_NOT_OURS\]$/);
    expect(tree(work)).toEqual(before);
  }, 120_000);
});

describe('a failed command creates no directories', () => {
  it('train --out new/deep/m with a missing dataset, evaluate and predict --show into new directories with a missing model: nothing is left', async () => {
    const before = tree(work);
    expectRefusal(await run(['train', ...TINY, '--dataset', 'no-such-data', '--out', 'new/deep/m']), 1, /\[DATASET_NOT_FOUND\]$/);
    expectRefusal(await run(['evaluate', '--model', 'no-such-model', '--out', 'new/plots']), 1, /\[MODEL_NOT_FOUND\]$/);
    expectRefusal(await run(['predict', '--model', 'no-such-model', '--index', '0', '--show', '--show-dir', 'new/previews']), 1, /\[MODEL_NOT_FOUND\]$/);
    expect(tree(work)).toEqual(before);
  }, 120_000);
});
