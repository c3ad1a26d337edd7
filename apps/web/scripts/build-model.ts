/**
 * Regenerates the default model shipped in public/models/default/ with our own CLI, exactly as a
 * user would: `digits train` (the Keras tutorial MLP), then `digits export --quantize uint8`, then
 * `digits evaluate` on the quantized copy (the accuracy the README quotes; confusion matrix and
 * misclassified digits into docs/default-model/).
 *
 *   pnpm --filter @digits/web build:model            # the tutorial's 20 epochs (about 2 minutes on the digits CPU engine)
 *   DIGITS_MODEL_EPOCHS=10 pnpm --filter @digits/web build:model   # fewer
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../../cli/src/cli.ts');
const work = resolve(here, '../.cache/default-model');
const target = resolve(here, '../public/models/default');
const report = resolve(here, '../docs/default-model');
const epochs = process.env.DIGITS_MODEL_EPOCHS ?? '20';
const quantize = process.env.DIGITS_MODEL_QUANTIZE ?? 'uint8';

function digits(...args: string[]): void {
  console.log(`$ digits ${args.join(' ')}`);
  // The CLI from its sources (the @digits/source condition), so no package needs building first.
  execFileSync(process.execPath, ['--conditions=@digits/source', '--import', 'tsx', cli, ...args], { stdio: 'inherit' });
}

rmSync(work, { recursive: true, force: true });
digits('train', '--arch', 'mlp', '--epochs', epochs, '--batch-size', '128', '--seed', '1', '--out', work);
// --force: the committed model in public/ is the one this script replaces
digits('export', '--model', work, '--quantize', quantize, '--out', target, '--force');
digits('evaluate', '--model', target, '--out', report);
