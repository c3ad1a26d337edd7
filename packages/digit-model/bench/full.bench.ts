/**
 * The tutorial's full run (opt-in, slow): 20 epochs of the MLP on the 60k training set, validated
 * on the 10k test set as the tutorial does, then test accuracy and the correct/incorrect count.
 *   pnpm bench:full                                   # best backend ('auto'), MLP, 20 epochs
 *   DIGITS_BACKEND=wasm DIGITS_MODEL=cnn DIGITS_EPOCHS=12 pnpm bench:full
 *   DIGITS_AUGMENT=1 ...                              # train on augmented copies (train's `augment: true`)
 *   DIGITS_BENCH_SIMD=simd128 ...                     # the engine's plain SIMD128 build (default: relaxed SIMD on, as `digits` does)
 */
import { loadMnist } from '@digits/mnist-data/node';
import { classifyResults, createCnn, createMlp, evaluate, predictClasses, selectBackend, train } from '../src/index';
import { enableRelaxedSimd } from '../src/engine/index';
import { machine, table } from './common';

const backend = process.env['DIGITS_BACKEND'] ?? 'auto';
const kind = process.env['DIGITS_MODEL'] ?? 'mlp';
const epochs = Number(process.env['DIGITS_EPOCHS'] ?? (kind === 'cnn' ? 12 : 20));
const seed = Number(process.env['DIGITS_SEED'] ?? 0);
const augment = process.env['DIGITS_AUGMENT'] === '1';

if (process.env['DIGITS_BENCH_SIMD'] !== 'simd128') enableRelaxedSimd(); // as `digits train` does
const choice = await selectBackend(backend);
console.log(`backend: ${choice.name} (${choice.reason})${choice.skipped.length ? `; skipped: ${choice.skipped.join('; ')}` : ''}`);
console.log(`machine: ${machine()}`);
const data = await loadMnist();
const model = kind === 'cnn' ? createCnn({ seed }) : createMlp({ seed });
const started = performance.now();
const history = await train(model, data.train, {
  epochs,
  seed,
  validationData: data.test,
  augment,
  onEpochEnd: (log) =>
    console.log(
      `epoch ${log.epoch}/${epochs}: loss ${log.loss.toFixed(4)} acc ${log.acc.toFixed(4)} ` +
        `val_loss ${log.val_loss?.toFixed(4)} val_acc ${log.val_acc?.toFixed(4)} (${log.seconds.toFixed(1)} s)`,
    ),
});
const totalSeconds = (performance.now() - started) / 1000;
const { loss, accuracy } = await evaluate(model, data.test);
const { correct, incorrect } = classifyResults(data.test.labels, predictClasses(model, data.test));
console.log(`\n${correct.length} classified correctly, ${incorrect.length} classified incorrectly`);
console.log(
  table(
    ['model', 'augment', 'backend', 'trainer', 'epochs', 'test loss', 'test accuracy', 'total time', 'mean s/epoch'],
    [[kind, augment ? 'yes' : 'no', choice.name, history.trainer, history.epochs.length, loss.toFixed(4), `${(accuracy * 100).toFixed(2)}%`, `${totalSeconds.toFixed(0)} s`, (totalSeconds / history.epochs.length).toFixed(1)]],
  ),
);
