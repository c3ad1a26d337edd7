import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  it('the convnet trains in the engine; a model it does not train goes to tfjs on wasm, saying why', async () => {
    const cnn = await runDigits(
      ['train', '--arch', 'cnn', '--limit', '256', '--epochs', '1', '--validation-split', '0.5', '--backend', 'engine', '--out', 'cnn'],
      { cwd: work, timeoutMs: 240_000 },
    );
    expect(cnn.code, cnn.stderr).toBe(0);
    expect(cnn.stdout).toMatch(/^Trainer: engine$/m);
    // the saved CNN with an activation the engine does not compute (a valid tfjs model all the same), resumed
    const file = join(work, 'cnn', 'model.json');
    const model = JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: { config: { layers: { config: { name: string; activation?: string } }[] } } };
    const dense = model.modelTopology.config.layers.find((l) => l.config.name === 'dense_1')!;
    dense.config.activation = 'elu';
    writeFileSync(file, JSON.stringify(model));
    const run = await runDigits(['train', '--resume', 'cnn', '--epochs', '2', '--backend', 'engine'], { cwd: work, timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const trainer = lines.findIndex((line) => line.startsWith('Trainer: '));
    // one line, after the run's summary, before the first epoch
    expect(lines[trainer]).toBe('Trainer: tfjs on wasm (engine: layer dense_1 (Dense) has activation elu)');
    expect(trainer).toBeGreaterThan(lines.findIndex((line) => line.startsWith('Resuming ')));
    expect(trainer).toBeLessThan(lines.findIndex((line) => line.startsWith('Epoch 2/2 - ')));
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
    // the command switches relaxed SIMD on where a V8 flag is all it takes (Node 20), and says so
    expect(run.stderr).toMatch(/^Backend: engine - digits CPU engine: .* in WebAssembly SIMD with relaxed-SIMD FMAs on \d threads?/m);
  }, 300_000);
});
