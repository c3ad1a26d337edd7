import { OP, PROGRAM, PROGRAM_JOB, PROGRAM_UPDATE } from '../layout';
import { regionAllocator, roundUp4, type Region } from '../memory-plan';
import { CTRL } from '../threads';
import type { Program } from './compile';

/** What a program engine's memory must hold besides the program: the batch, the data, the threads. */
export interface ProgramPlanInput {
  /** The largest batch run at once (rows per thread are sized from it). */
  batchSize: number;
  samples: number;
  /** Shards of each batch (one job, update and gradient block each). */
  threads: number;
  /** Room for float inputs and probabilities instead of labels and the epoch's order. */
  prediction: boolean;
}

/** One thread's workspace: byte offsets of its structs and buffers. */
export interface ProgramThreadPlan {
  job: number;
  update: number;
  /** act[i]: op i's input (act[ops]: the last op's output); delta likewise. */
  act: number[];
  delta: number[];
  aux: number[];
  bn: number[];
  /** A Conv2D on 1-3 channels, in training: its im2col rows kept for the kernel gradient (0: none). */
  keep_ptr: number[];
  keep_idx: number[];
  keep_val: number[];
  csr_ptr: number;
  csr_idx: number;
  csr_val: number;
  t_ptr: number;
  t_idx: number;
  t_val: number;
  t_count: number;
  dcol: number;
  G: number;
}

/** Byte offsets (0: absent) of everything in a program engine's memory, and its size. */
export interface ProgramPlan {
  size: number;
  rows: number;
  program: number;
  ops: number;
  ctrl: number;
  P: number;
  M: number;
  V: number;
  stats: number;
  /** Per op: the packed kernel and its transpose (0 where none). */
  Wp: number[];
  WTp: number[];
  /** Floats between consecutive threads' gradient blocks. */
  gradStride: number;
  /** The shards' barrier (two int32s), and their partial batchnorm sums: `partialStride` floats per shard. */
  sync: number;
  partial: number;
  partialStride: number;
  threads: ProgramThreadPlan[];
  factors: number;
  images: number;
  labels: number;
  order: number;
  floatImages: number;
  probs: number;
  regions: Region[];
}

export { PAGE } from '../memory-plan';
const alignUp = (n: number) => Math.ceil(n / 64) * 64;
/** im2col rows a Conv2D handles at a time (CONV_BLOCK in engine-src/op-gemm.h). */
export const CONV_BLOCK = 256;

/**
 * Lays out a program engine's memory: a pure function of the program's shapes and the batch (the
 * same input always gives the same offsets), every region 64-byte aligned and disjoint
 * (plan.test.ts). The first 64 KiB page stays unused, so that 0 is a null pointer.
 */
export function planProgram(program: Program, input: ProgramPlanInput): ProgramPlan {
  const { batchSize, samples, threads, prediction } = input;
  const memory = regionAllocator();
  const take = memory.take;
  const rows = Math.ceil(batchSize / threads);
  const { ops } = program;
  const programAt = take('program', PROGRAM.size);
  const opsAt = take('ops', OP.size * ops.length);
  const ctrl = take('ctrl', CTRL.size * 4);
  const P = take('P', program.paramFloats * 4);
  const M = take('M', program.paramFloats * 4);
  const V = take('V', program.paramFloats * 4);
  const stats = take('stats', program.statFloats * 4);
  const gemm = (i: number) => ops[i]!.kind === 'dense' || ops[i]!.kind === 'conv';
  const Wp = ops.map((op, i) => (gemm(i) ? take(`Wp[${i}]`, op.K * op.output.cs * 4) : 0));
  const WTp = ops.map((op, i) => (gemm(i) && op.needDx ? take(`WTp[${i}]`, op.K * op.output.cs * 4) : 0));
  const gradStride = alignUp(program.paramFloats * 4) / 4;
  const grads = take('grads', gradStride * 4 * threads);
  const sync = take('sync', 8);
  // batchnorm's partial sums: four slots (sums, squared deviations, dbeta, dgamma) of its channels
  const bnChannels = Math.max(0, ...ops.map((op) => (op.kind === 'batchnorm' ? roundUp4(op.input.cs) : 0)));
  const partialStride = 4 * bnChannels;
  const partial = partialStride > 0 ? take('partial', partialStride * threads * 4) : 0;
  // The sparse scratch (engine-src/op-gemm.h): a Dense layer's rows in one go; a Conv2D's im2col
  // rows and delta's rows CONV_BLOCK at a time; the transpose of the kept im2col rows of a Conv2D
  // whose input channels are not a multiple of 4; delta's nonzero columns of one row.
  const pixelsOut = (i: number) => ops[i]!.output.h * ops[i]!.output.w;
  const productRows: number[] = [1];
  const entries: number[] = [1];
  const transposed: number[] = [1];
  const dcol: number[] = [0];
  ops.forEach((op, i) => {
    if (!gemm(i)) return;
    const width = Math.max(op.K, op.output.cs);
    if (op.kind === 'dense') {
      productRows.push(rows);
      entries.push(rows * width);
      transposed.push(rows * op.K);
      return;
    }
    const n = rows * pixelsOut(i);
    productRows.push(Math.min(n, CONV_BLOCK));
    entries.push(Math.min(n, CONV_BLOCK) * width);
    if (op.input.cs % 4 === 0) {
      transposed.push(op.output.cs);
      dcol.push(op.output.cs * op.K);
    } else {
      transposed.push(n * op.K); // the kept rows' transpose
    }
    // dense im2col rows (forward, for inputs that are mostly nonzero) and the input gradient's rows
    dcol.push(Math.min(n, CONV_BLOCK) * op.K);
  });
  const maxRows = Math.max(...productRows);
  const maxEntries = Math.max(...entries);
  const maxTransposed = Math.max(...transposed);
  const maxK = Math.max(1, ...ops.map((op) => op.K));
  const dcolFloats = Math.max(...dcol);
  // a Conv2D on 1-3 channels keeps its im2col rows from the forward pass for its kernel gradient
  const keeps = (i: number) => !prediction && ops[i]!.kind === 'conv' && ops[i]!.input.cs % 4 !== 0;
  const kept = (t: number) => {
    const f = (name: string, bytes: number) => take(`thread ${t} ${name}`, bytes);
    const n = (i: number) => rows * pixelsOut(i);
    return {
      keep_ptr: ops.map((_, i) => (keeps(i) ? f(`keep_ptr[${i}]`, (n(i) + 1) * 4) : 0)),
      keep_idx: ops.map((op, i) => (keeps(i) ? f(`keep_idx[${i}]`, n(i) * op.K * 4) : 0)),
      keep_val: ops.map((op, i) => (keeps(i) ? f(`keep_val[${i}]`, n(i) * op.K * 4) : 0)),
    };
  };
  const threadPlans: ProgramThreadPlan[] = [];
  for (let t = 0; t < threads; t++) {
    const f = (name: string, bytes: number) => take(`thread ${t} ${name}`, bytes);
    const job = f('job', PROGRAM_JOB.size);
    const update = f('update', PROGRAM_UPDATE.size);
    const act = [f('act[0]', rows * program.inputSize * 4), ...ops.map((op, i) => f(`act[${i + 1}]`, rows * op.outSize * 4))];
    // delta[i] is op i's input gradient: needed where op i computes one
    const delta = [0, ...ops.map((op, i) => (prediction || (i + 1 < ops.length && !ops[i + 1]!.needDx) ? 0 : f(`delta[${i + 1}]`, rows * op.outSize * 4)))];
    threadPlans.push({
      job,
      update,
      act,
      delta,
      aux: ops.map((op, i) => (op.kind === 'maxpool' ? f(`aux[${i}]`, rows * op.outSize * 4) : op.kind === 'batchnorm' && !prediction ? f(`aux[${i}]`, rows * op.inSize * 4) : 0)),
      bn: ops.map((op, i) => (op.kind === 'batchnorm' ? f(`bn[${i}]`, 4 * roundUp4(op.input.cs) * 4) : 0)),
      ...kept(t),
      csr_ptr: f('csr_ptr', (maxRows + 1) * 4),
      csr_idx: f('csr_idx', maxEntries * 4),
      csr_val: f('csr_val', maxEntries * 4),
      t_ptr: f('t_ptr', (maxK + 1) * 4),
      t_idx: f('t_idx', maxTransposed * 4),
      t_val: f('t_val', maxTransposed * 4),
      t_count: f('t_count', (maxK + 1) * 4),
      dcol: dcolFloats > 0 ? f('dcol', dcolFloats * 4) : 0,
      G: grads + t * gradStride * 4,
    });
  }
  const factors = take('factors', rows * threads * Math.max(4, ...ops.map((op) => op.outSize)) * 4);
  const images = take('images', samples * program.pixels);
  const labels = prediction ? 0 : take('labels', samples);
  const order = prediction ? 0 : take('order', samples * 4);
  const floatImages = prediction ? take('floatImages', samples * program.pixels * 4) : 0;
  const probs = prediction ? take('probs', batchSize * program.classes * 4) : 0;
  return {
    size: memory.size, rows, program: programAt, ops: opsAt, ctrl, P, M, V, stats, Wp, WTp, gradStride, sync, partial, partialStride,
    threads: threadPlans, factors, images, labels, order, floatImages, probs, regions: memory.regions,
  };
}


/** The most wasm memory a program engine plans for (wasm32 stops at 4 GiB; the data comes on top). */
export const ENGINE_MEMORY_LIMIT = 3 * 2 ** 30;

/**
 * Why the engine would not run this program at this batch size (its workspaces would not fit in
 * wasm's 32-bit memory), or undefined. Planned without the data, so nothing is allocated.
 */
export function memoryProblem(program: Program, batchSize: number, threads: number, prediction: boolean): string | undefined {
  const { size } = planProgram(program, { batchSize, samples: 0, threads: Math.max(1, Math.min(threads, batchSize)), prediction });
  if (size <= ENGINE_MEMORY_LIMIT) return undefined;
  return `the model needs ${(size / 2 ** 30).toFixed(1)} GiB of engine memory at batch ${batchSize} (at most ${ENGINE_MEMORY_LIMIT / 2 ** 30} GiB)`;
}
