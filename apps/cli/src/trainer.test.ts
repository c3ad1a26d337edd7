import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDigits } from './test-utils/run';

// What trains the batches is printed before the first epoch, with the reason when the digits engine
// declines the model: never a silent fallback to tfjs.
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'digits-cli-trainer-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('digits train names its trainer', () => {
  it('the convnet, which the engine does not train: tfjs on wasm, and why', async () => {
    const run = await runDigits(
      ['train', '--arch', 'cnn', '--limit', '256', '--epochs', '1', '--validation-split', '0.5', '--backend', 'engine', '--out', 'cnn'],
      { cwd: work, timeoutMs: 240_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const trainer = lines.findIndex((line) => line.startsWith('Trainer: '));
    // one line, after the backend and the run's summary, before the first epoch
    expect(lines[trainer]).toMatch(/^Trainer: tfjs on wasm \(engine: layer \S+ \(Reshape\) is not part of a Dense\/activation\/Dropout\/softmax stack\)$/);
    expect(trainer).toBeGreaterThan(lines.findIndex((line) => line.startsWith('Backend: engine - ')));
    expect(trainer).toBeLessThan(lines.findIndex((line) => line.startsWith('Epoch 1/1 - ')));
  }, 300_000);

  it('the MLP trains in the engine; --json reports the trainer', async () => {
    const run = await runDigits(['train', '--limit', '256', '--epochs', '1', '--validation-split', '0.5', '--backend', 'engine', '--out', 'mlp', '--json'], {
      cwd: work,
      timeoutMs: 240_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Trainer: engine$/m);
    const result = JSON.parse(run.stdout) as { trainer: { name: string; reason?: string } };
    expect(result.trainer).toEqual({ name: 'engine' });
  }, 300_000);
});
