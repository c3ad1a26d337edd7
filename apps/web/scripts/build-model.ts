/**
 * Regenerates the models shipped in public/models/ with our own CLI, as a user would, and their
 * test reports (confusion matrix and misclassified digits) in docs/:
 *
 * - default/ (what the page loads): the CNN, `digits train --arch cnn --augment`, then fine-tuned
 *   to say "not sure" to non-digits (scripts/reject-non-digits.ts, outlier exposure), then
 *   `digits export --quantize uint8` and `digits evaluate`. It reads pad drawings best.
 * - mlp/ (one click away in the page's model picker): the Keras tutorial MLP, `digits train`,
 *   then export and evaluate the same way.
 *
 *   pnpm --filter @digits/web build:model                      # both (CNN: 10 epochs, ~20-25 min on wasm; MLP: 20 epochs, ~1 min on the engine)
 *   DIGITS_WEB_MODELS=mlp DIGITS_MODEL_EPOCHS=10 pnpm --filter @digits/web build:model   # only the MLP, fewer epochs
 *   DIGITS_CNN_EPOCHS=4 pnpm --filter @digits/web build:model  # a shorter CNN run
 *
 * `pnpm --filter @digits/web report:drawings` then measures both on generated pad drawings.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../../cli/src/cli.ts');
const cache = resolve(here, '../.cache');
const quantize = process.env.DIGITS_MODEL_QUANTIZE ?? 'uint8';
const wanted = (process.env.DIGITS_WEB_MODELS ?? 'cnn,mlp').split(',');

function run(script: string, ...args: string[]): void {
  // From sources (the @digits/source condition), so no package needs building first.
  execFileSync(process.execPath, ['--conditions=@digits/source', '--import', 'tsx', script, ...args], { stdio: 'inherit' });
}
function digits(...args: string[]): void {
  console.log(`$ digits ${args.join(' ')}`);
  run(cli, ...args);
}
function ship(model: string, name: string, report: string): void {
  const target = resolve(here, '../public/models', name);
  // --force: the committed model in public/ is the one this script replaces
  digits('export', '--model', model, '--quantize', quantize, '--out', target, '--force');
  digits('evaluate', '--model', target, '--out', resolve(here, '../docs', report), '--force');
}

if (wanted.includes('cnn')) {
  const trained = resolve(cache, 'cnn-model');
  const rejecting = resolve(cache, 'cnn-rejecting');
  rmSync(trained, { recursive: true, force: true });
  rmSync(rejecting, { recursive: true, force: true });
  digits('train', '--arch', 'cnn', '--augment', '--epochs', process.env.DIGITS_CNN_EPOCHS ?? '10', '--batch-size', '128', '--seed', '1', '--backend', 'wasm', '--out', trained);
  console.log('$ tsx scripts/reject-non-digits.ts');
  run(resolve(here, 'reject-non-digits.ts'), trained, rejecting);
  ship(rejecting, 'default', 'default-model');
}
if (wanted.includes('mlp')) {
  const trained = resolve(cache, 'mlp-model');
  rmSync(trained, { recursive: true, force: true });
  digits('train', '--arch', 'mlp', '--epochs', process.env.DIGITS_MODEL_EPOCHS ?? '20', '--batch-size', '128', '--seed', '1', '--out', trained);
  ship(trained, 'mlp', 'mlp-model');
}
