import { setFlagsFromString } from 'node:v8';
if (process.env.RELAXED) setFlagsFromString('--experimental-wasm-relaxed-simd');
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '@digits/mnist-data/node';
import { createCnn } from '../src/index';
import { compileProgram } from '../src/engine/program/compile';
import { ProgramEngine } from '../src/engine/program/engine';

const data = await loadMnist();
const model = createCnn({ seed: 0 });
const program = compileProgram(model);
if (typeof program === 'string') throw new Error(program);
const threads = Number(process.env.T ?? 2);
const engine = await ProgramEngine.create({ program, batchSize: 128, samples: data.train.count, threads, optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } });
const values = new Map(model.weights.map((w, i) => [w, model.getWeights()[i]!]));
for (const op of program.ops) for (const p of op.params) engine.write(p, values.get(p.variable)!.dataSync() as Float32Array);
engine.commitWeights();
engine.setData(data.train.images, data.train.labels, Uint32Array.from({ length: data.train.count }, (_, i) => i));
engine.parallel = process.env.SERIAL ? false : true;
const batches = Number(process.env.B ?? 100);
const t0 = performance.now();
let loss = 0, correct = 0;
for (let b = 0; b < batches; b++) { const r = engine.trainBatch(b * 128, 128, b); loss += r.loss; correct += r.correct; }
const s = (performance.now() - t0) / 1000;
console.log(`${threads} threads${engine.parallel ? '' : ' serial'}: ${batches} batches in ${s.toFixed(2)} s (${(s / batches * 1000).toFixed(1)} ms/batch), loss ${(loss / batches / 128).toFixed(4)} acc ${(correct / batches / 128).toFixed(4)}; job ${engine.timings.job.toFixed(0)} ms, update ${engine.timings.update.toFixed(0)} ms`);
await engine.dispose();
{
  const engine2 = await ProgramEngine.create({ program, batchSize: 128, samples: data.train.count, threads, optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } });
  for (const op of program.ops) for (const p of op.params) engine2.write(p, values.get(p.variable)!.dataSync() as Float32Array);
  engine2.commitWeights();
  engine2.setData(data.train.images, data.train.labels, Uint32Array.from({ length: data.train.count }, (_, i) => i));
  const t1 = performance.now();
  for (let b = 0; b < batches; b++) engine2.forwardBackward(b * 128, 128, b, 0);
  console.log(`forward only: ${((performance.now() - t1) / batches).toFixed(1)} ms/batch`);
  await engine2.dispose();
}
