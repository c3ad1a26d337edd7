/**
 * Trains the tutorial MLP (784-512-512-10, dropout 0.2, Adam) on the real MNIST, saves it as
 * float32, float16 and uint8, and reports the file sizes and the 10k test accuracy of each reloaded
 * copy. Run: pnpm --filter @digits/model-io bench   (EPOCHS=20 BACKEND=wasm|cpu to change)
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMlp, evaluate, predictClasses, selectBackend, train } from '@digits/model';
import { loadMnist } from '@digits/mnist-data/node';
import { loadModel, saveModel, type QuantizeDtype } from '../src/node';

const epochs = Number(process.env['EPOCHS'] ?? 3);
const backend = await selectBackend((process.env['BACKEND'] ?? 'wasm') as Parameters<typeof selectBackend>[0]);
const data = await loadMnist();
const model = createMlp({ seed: 0 });
const started = performance.now();
const history = await train(model, data.train, { epochs, batchSize: 128, seed: 0, onEpochEnd: (log) => console.log(`epoch ${log.epoch}: acc ${log.acc.toFixed(4)} val_acc ${log.val_acc?.toFixed(4)} (${log.seconds.toFixed(1)} s)`) });
console.log(`trained ${history.epochs.length} epochs on ${backend.backend} in ${((performance.now() - started) / 1000).toFixed(0)} s`);

const work = await mkdtemp(join(tmpdir(), 'model-io-bench-'));
const reference = predictClasses(model, data.test);
const rows: string[] = [];
let baseline = 0;
for (const quantize of [undefined, 'float16', 'uint8'] as (QuantizeDtype | undefined)[]) {
  const dir = join(work, quantize ?? 'float32');
  await saveModel(model, dir, { ...(quantize ? { quantize } : {}), card: { dataset: data, history: history.epochs } });
  const bytes = (await stat(join(dir, 'weights.bin'))).size;
  const json = (await stat(join(dir, 'model.json'))).size;
  const { model: loaded } = await loadModel(dir);
  const { accuracy } = await evaluate(loaded, data.test);
  if (!quantize) baseline = accuracy;
  const predicted = predictClasses(loaded, data.test);
  const changed = predicted.reduce((n, p, i) => n + (p === reference[i] ? 0 : 1), 0);
  const delta = ((accuracy - baseline) * 100).toFixed(2);
  rows.push(`| ${quantize ?? 'float32'} | ${bytes.toLocaleString('en')} | ${json.toLocaleString('en')} | ${(accuracy * 100).toFixed(2)} % | ${delta} pp | ${changed} |`);
  loaded.dispose();
}
console.log(`\n| weights | weights.bin bytes | model.json bytes | test accuracy (10k) | change vs float32 | predictions changed |\n|---|---|---|---|---|---|\n${rows.join('\n')}`);
await rm(work, { recursive: true, force: true });
