import { JOB, NET, UPDATE } from './layout';
import { CTRL } from './threads';

/** What the engine's memory must hold: the network's widths, the batch, the data, the threads. */
export interface MemoryPlanInput {
  inputSize: number;
  /** Real units of each Dense layer. */
  units: readonly number[];
  batchSize: number;
  samples: number;
  /** Shards of each batch (one Job and UpdateJob each). */
  threads: number;
  /** Room for float inputs and probabilities instead of labels and the epoch's order. */
  prediction: boolean;
}

/** One thread's workspace: byte offsets of its Job struct, UpdateJob struct and buffers. */
export interface ThreadPlan {
  job: number;
  update: number;
  act: number[];
  delta: number[];
  csr_ptr: number[];
  csr_idx: number[];
  csr_val: number[];
  t_ptr: number;
  t_idx: number;
  t_val: number;
  t_count: number;
  /** Each layer's input transposed (the optimizer step's weight gradients read them). */
  tr_ptr: number[];
  tr_idx: number[];
  tr_val: number[];
  /** The optimizer step's gradient rows (GRADIENT_GROUP x widest stride floats). */
  scratch: number;
}

/** Byte offsets (0: absent) of everything in the engine's memory, and its size. */
export interface MemoryPlan {
  /** Bytes in all (the first 64 KiB page stays unused, so that 0 is a null pointer). */
  size: number;
  /** Rows of the batch each thread handles. */
  rows: number;
  /** Units per layer padded to a multiple of 4, the row pitch of each layer, each layer's input width. */
  strides: number[];
  pitches: number[];
  inDims: number[];
  net: number;
  ctrl: number;
  /** Each layer's kernel, bias and the optimizer's two state slots of each. */
  params: { W: number; b: number; mW: number; mb: number; vW: number; vb: number }[];
  /** Kernels packed in 32-column panels, and their transposes (layers >= 1). */
  Wp: number[];
  WTp: number[];
  /** Every thread's job struct's offset, in batch order (the optimizer step reads all their deltas). */
  jobList: number;
  threads: ThreadPlan[];
  factors: number;
  images: number;
  labels: number;
  order: number;
  floatImages: number;
  probs: number;
  /** Every allocation, in order, for checking (name, byte offset, bytes). */
  regions: Region[];
}

export const PAGE = 65536;
/** Weight rows the optimizer step sums and steps together (UpdateJob's `group`, engine.c). */
export const GRADIENT_GROUP = 8;
const ALIGN = 64;

/** One region of an engine's memory plan: its name, byte offset and size. */
export interface Region {
  name: string;
  at: number;
  bytes: number;
}

/**
 * Hands out an engine's memory in order, after the first 64 KiB page (so that 0 is a null pointer),
 * each region 64-byte aligned; `regions` lists them for checking and `size` is the end of the last.
 */
export function regionAllocator(): { take(name: string, bytes: number): number; readonly size: number; regions: Region[] } {
  const regions: Region[] = [];
  let size = PAGE;
  return {
    take(name, bytes) {
      const at = Math.ceil(size / ALIGN) * ALIGN;
      size = at + Math.max(bytes, 4);
      regions.push({ name, at, bytes });
      return at;
    },
    get size() {
      return size;
    },
    regions,
  };
}

export const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;
/** Row pitch for a row of n floats: padded by a cache line when rows would alias in the cache sets. */
export const pitch = (n: number) => ((n * 4) % 256 === 0 ? n + 16 : n);

/**
 * Lays out the engine's memory: a pure function of the shapes (the same input always gives the same
 * offsets), every region 64-byte aligned and disjoint from the others (memory-plan.test.ts).
 */
export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const { inputSize, units, batchSize, samples, threads, prediction } = input;
  const memory = regionAllocator();
  const take = memory.take;
  const rows = Math.ceil(batchSize / threads);
  const strides = units.map(roundUp4);
  const pitches = strides.map(pitch);
  const inDims = strides.map((_, l) => (l === 0 ? inputSize : strides[l - 1]!));
  const maxIn = Math.max(...inDims);
  const maxWidth = Math.max(maxIn, ...strides);

  const net = take('net', NET.size);
  const ctrl = take('ctrl', CTRL.size * 4);
  const params = pitches.map((n, l) => {
    const w = inDims[l]! * n * 4;
    const [W, b, mW, mb, vW, vb] = (['W', 'b', 'mW', 'mb', 'vW', 'vb'] as const).map((slot) => take(`${slot}[${l}]`, slot.endsWith('W') ? w : n * 4));
    return { W: W!, b: b!, mW: mW!, mb: mb!, vW: vW!, vb: vb! };
  });
  const Wp = strides.map((n, l) => take(`Wp[${l}]`, inDims[l]! * n * 4));
  const WTp = strides.map((n, l) => (l > 0 ? take(`WTp[${l}]`, inDims[l]! * n * 4) : 0));
  const jobList = take('jobList', threads * 4);
  const threadPlans: ThreadPlan[] = [];
  for (let t = 0; t < threads; t++) {
    const f = (name: string, bytes: number) => take(`thread ${t} ${name}`, bytes);
    const job = f('job', JOB.size);
    threadPlans.push({
      job,
      act: pitches.map((n, l) => f(`act[${l}]`, rows * n * 4)),
      delta: pitches.map((n, l) => f(`delta[${l}]`, rows * n * 4)),
      csr_ptr: strides.map((_, l) => f(`csr_ptr[${l}]`, (rows + 1) * 4)),
      csr_idx: inDims.map((k, l) => f(`csr_idx[${l}]`, rows * k * 4)),
      csr_val: inDims.map((k, l) => f(`csr_val[${l}]`, rows * k * 4)),
      t_ptr: f('t_ptr', (Math.max(maxIn, rows) + 1) * 4),
      t_idx: f('t_idx', rows * maxWidth * 4),
      t_val: f('t_val', rows * maxWidth * 4),
      t_count: f('t_count', (maxIn + 1) * 4),
      // the backward pass's and the optimizer step's: none in an engine that only predicts
      tr_ptr: inDims.map((k, l) => (prediction ? 0 : f(`tr_ptr[${l}]`, (k + 1) * 4))),
      tr_idx: inDims.map((k, l) => (prediction ? 0 : f(`tr_idx[${l}]`, rows * k * 4))),
      tr_val: inDims.map((k, l) => (prediction ? 0 : f(`tr_val[${l}]`, rows * k * 4))),
      scratch: prediction ? 0 : f('scratch', GRADIENT_GROUP * Math.max(...strides) * 4),
      update: f('update', UPDATE.size),
    });
  }
  // room for one batch's dropout factors of the widest layer (`Engine.dropoutFactors`)
  const factors = take('factors', rows * threads * Math.max(...strides) * 4);
  const images = take('images', samples * inputSize);
  const labels = prediction ? 0 : take('labels', samples);
  const order = prediction ? 0 : take('order', samples * 4);
  const floatImages = prediction ? take('floatImages', samples * inputSize * 4) : 0;
  const probs = prediction ? take('probs', batchSize * units[units.length - 1]! * 4) : 0;
  return {
    size: memory.size, rows, strides, pitches, inDims, net, ctrl, params, Wp, WTp, jobList,
    threads: threadPlans, factors, images, labels, order, floatImages, probs, regions: memory.regions,
  };
}
