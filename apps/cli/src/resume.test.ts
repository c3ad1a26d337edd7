import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { finished, runDigits, startDigits } from './test-utils/run';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-resume-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// validating on 200 held-out training images keeps the epochs short
const TRAIN = ['train', '--limit', '1000', '--batch-size', '64', '--validation-split', '0.2'];

const savedCard = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).userDefinedMetadata.digitsModelCard;
const savedEpochs = (dir: string): number[] => savedCard(dir).history.map((e: { epoch: number }) => e.epoch);

/** Resolves once the first checkpoint (model + history) is on disk. */
async function firstCheckpoint(dir: string, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!(existsSync(join(dir, 'history.json')) && existsSync(join(dir, 'model.json')))) {
    if (Date.now() - started > timeoutMs) throw new Error('no checkpoint appeared');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('resumes after SIGKILL from the last checkpoint, every epoch in the history exactly once', async () => {
  const dir = join(work, 'killed');
  const child = startDigits([...TRAIN, '--epochs', '6', '--out', dir], { cwd: work });
  const done = finished(child);
  await firstCheckpoint(dir);
  child.kill('SIGKILL');
  const killed = await done;
  expect(killed.signal).toBe('SIGKILL');
  const before = savedEpochs(dir);
  const beforeLosses = savedCard(dir).history.map((e: { loss: number }) => e.loss);
  expect(before.length).toBeGreaterThanOrEqual(1);
  expect(before.length).toBeLessThan(6);

  const resumed = await runDigits(['train', '--resume', dir], { cwd: work });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toContain(`Resuming ${dir} after epoch ${before.length}`);
  const newLines = resumed.stdout.match(/^Epoch (\d+)\/6 /gm) ?? [];
  expect(newLines.map((l) => Number(/\d+/.exec(l)![0]))).toEqual([...Array(6 - before.length).keys()].map((k) => before.length + 1 + k));
  expect(resumed.stdout).toMatch(/^Test accuracy: 0\.\d{4}$/m);

  const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'));
  expect(history.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(savedEpochs(dir)).toEqual([1, 2, 3, 4, 5, 6]);
  // the epochs saved before the kill are kept as they were, not retrained
  expect(history.epochs.slice(0, before.length).map((e: { loss: number }) => e.loss)).toEqual(beforeLosses);
}, 300_000);

it('stops cleanly on Ctrl-C (SIGINT) after saving, and says how to resume (--json)', async () => {
  const dir = join(work, 'interrupted');
  const child = startDigits([...TRAIN, '--epochs', '20', '--out', dir, '--json'], { cwd: work });
  const done = finished(child);
  await firstCheckpoint(dir);
  child.kill('SIGINT');
  const result = await done;
  expect(result.code).toBe(130);
  expect(result.stderr).toContain(`Continue with: digits train --resume ${dir}`);
  const saved = savedEpochs(dir);
  // --json: one JSON document on stdout, even when interrupted
  const report = JSON.parse(result.stdout);
  expect(report.interrupted).toBe(true);
  expect(report.epochs.map((e: { epoch: number }) => e.epoch)).toEqual(saved);
  expect(saved.length).toBeGreaterThanOrEqual(1);
  expect(saved.length).toBeLessThan(20);
  expect(saved).toEqual([...Array(saved.length).keys()].map((k) => k + 1));
  const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'));
  expect(history.epochs.map((e: { epoch: number }) => e.epoch)).toEqual(saved);
}, 300_000);
