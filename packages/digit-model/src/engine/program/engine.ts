import { DigitsError } from '@digits/mnist-data';
import { Crew } from '../crew';
import type { EngineConfig } from '../engine';
import { OP, PROGRAM, PROGRAM_JOB, PROGRAM_UPDATE } from '../layout';
import { updateFields, type OptimizerSpec } from '../optimizers';
import { CMD, canBlock, threadsAvailable } from '../threads';
import { chooseSimd, compileModule, moduleBytes, type EngineSimd } from '../wasm-module';
import { ACT_CODE, OP_KIND, type ParamLayout, type Program } from './compile';
import { PAGE, planProgram, type ProgramPlan } from './plan';

/** As the MLP engine's config, with a compiled program instead of its MLP shape. */
export interface ProgramEngineConfig extends Omit<EngineConfig, 'shape'> {
  program: Program;
}

interface Exports {
  run_job(job: number): void;
  run_update(update: number): void;
  pack_weights(program: number): void;
  dropout_factors(program: number, op: number, seed: number, first: number, rows: number, out: number): void;
}

/** Where a weight's values live: the parameters, their optimizer state slots, or the statistics. */
export type ParamSlot = 'value' | 'm' | 'v';

/**
 * A compiled program running in the engine (engine-src/program.c): the wasm memory holding the
 * parameters, optimizer state, batchnorm statistics, the data and each shard's workspace; the
 * threads; and the batch loop's two steps (forward/backward on each shard, then the optimizer on
 * each shard's share of the parameters).
 */
export class ProgramEngine {
  /** Wall milliseconds spent in each step of the batch loop. */
  readonly timings = { job: 0, update: 0, batches: 0 };
  private step = 0;

  private constructor(
    private readonly config: ProgramEngineConfig,
    private readonly plan: ProgramPlan,
    private readonly memory: WebAssembly.Memory,
    private readonly exports: Exports,
    private readonly crew: Crew,
    readonly simd: EngineSimd,
  ) {}

  static async create(config: ProgramEngineConfig): Promise<ProgramEngine> {
    const build = ProgramEngine.build(config);
    const module = await compileModule('program', build.shared, build.simd);
    const instance = await WebAssembly.instantiate(module, { env: { memory: build.memory } });
    const engine = build.finish(module, instance.exports as unknown as Exports);
    await engine.crew.ready();
    return engine;
  }

  /** `create`, synchronously (where this thread may block for the workers; else on one thread). */
  static createSync(config: ProgramEngineConfig): ProgramEngine {
    const build = ProgramEngine.build({ ...config, threads: canBlock() ? config.threads : 1 });
    const module = new WebAssembly.Module(moduleBytes('program', build.shared, build.simd));
    const instance = new WebAssembly.Instance(module, { env: { memory: build.memory } });
    const engine = build.finish(module, instance.exports as unknown as Exports);
    engine.crew.readySync();
    return engine;
  }

  private static build(config: ProgramEngineConfig) {
    const { program, batchSize, samples } = config;
    // batch statistics meet at a barrier, so the shards of a program with batchnorm must run at the
    // same time: on workers, or as one shard where there are none
    const together = program.batchStatistics && !config.prediction;
    const wanted = together && !threadsAvailable() ? 1 : config.threads;
    const threads = Math.max(1, Math.min(wanted, batchSize));
    const shared = threads > 1 && threadsAvailable();
    const simd = chooseSimd(config.simd);
    const plan = planProgram(program, { batchSize, samples, threads, prediction: config.prediction === true });
    const pages = Math.ceil(plan.size / PAGE);
    if (pages > 65536) throw new DigitsError('SHAPE_LIMIT', `the engine would need ${(plan.size / 2 ** 30).toFixed(1)} GiB for this model and batch`);
    const memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages, maximum: pages });
    const finish = (module: WebAssembly.Module, exports: Exports): ProgramEngine => {
      writeStructs(memory, program, plan, threads, config.optimizer ?? { kind: 'sgd', learningRate: 0 });
      const jobs = plan.threads.map((t) => t.job);
      const updates = plan.threads.map((t) => t.update);
      const crew = new Crew({ module, memory, exports, ctrl: plan.ctrl, jobs, updates, shared });
      return new ProgramEngine({ ...config, threads }, plan, memory, exports, crew, simd);
    };
    return { shared, simd, memory, finish };
  }

  /** Shards of each batch. */
  get threads(): number {
    return this.crew.shards;
  }
  get hasWorkers(): boolean {
    return this.crew.workers.length > 0;
  }
  get parallel(): boolean {
    return this.crew.parallel;
  }
  /** Ignored (always true) for a training program with batchnorm: its shards wait for each other. */
  set parallel(value: boolean) {
    this.crew.parallel = value || this.shardsMeet;
  }

  private get shardsMeet(): boolean {
    return this.config.program.batchStatistics && this.config.prediction !== true && this.threads > 1;
  }
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }
  get program(): Program {
    return this.config.program;
  }

  private get f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }
  private get i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  /** Copies the training split and this epoch's order into the engine. */
  setData(images: Uint8Array, labels: Uint8Array, order: Uint32Array): void {
    const { samples, program } = this.config;
    const count = labels.length;
    if (count > samples || images.length !== count * program.pixels || order.length > count) {
      throw new DigitsError('BAD_ARGUMENT', `the engine was sized for ${samples} samples of ${program.pixels} pixels`);
    }
    for (let i = 0; i < count; i++) {
      if (labels[i]! >= program.classes) throw new DigitsError('BAD_ARGUMENT', `label ${labels[i]} of sample ${i} is not below ${program.classes}`);
    }
    new Uint8Array(this.memory.buffer).set(images, this.plan.images);
    new Uint8Array(this.memory.buffer).set(labels, this.plan.labels);
    new Uint32Array(this.memory.buffer, this.plan.order, order.length).set(order);
  }

  /** Trains one batch: positions [first, first + size) of the order. Returns summed loss and correct count. */
  trainBatch(first: number, size: number, seed: number): { loss: number; correct: number } {
    const result = this.forwardBackward(first, size, seed, 1);
    this.step++;
    const { optimizer } = this.config;
    if (optimizer?.kind === 'adam') {
      const f32 = this.f32;
      const c1 = 1 - Math.fround(optimizer.beta1 ** this.step);
      const c2 = 1 - Math.fround(optimizer.beta2 ** this.step);
      for (const t of this.plan.threads) {
        f32[(t.update + PROGRAM_UPDATE.one_minus_acc_beta1) / 4] = c1;
        f32[(t.update + PROGRAM_UPDATE.one_minus_acc_beta2) / 4] = c2;
      }
    }
    this.run(CMD.update);
    this.timings.batches++;
    return result;
  }

  /** Forward (training 0) or forward and backward (1) passes of a batch, leaving the gradients in the shards' buffers. */
  forwardBackward(first: number, size: number, seed: number, training: 0 | 1): { loss: number; correct: number } {
    if (size > this.plan.rows * this.threads) throw new DigitsError('BAD_ARGUMENT', `batch of ${size} is larger than the engine's`);
    this.crew.setBatch(PROGRAM_JOB, first, size, seed, training);
    this.run(CMD.job);
    return this.crew.batchResult(PROGRAM_JOB);
  }

  /** Inference of `count` samples (bytes scaled by 1/255, or floats), `samples` at a time: count x classes probabilities. */
  predict(input: Uint8Array | Float32Array, count: number): Float32Array {
    const { floatImages, images, probs } = this.plan;
    const { pixels, classes } = this.config.program;
    if (!probs) throw new DigitsError('BAD_ARGUMENT', 'this engine was not created for prediction');
    if (input.length !== count * pixels) throw new DigitsError('BAD_ARGUMENT', `expected ${count} x ${pixels} inputs, got ${input.length} values`);
    const floats = input instanceof Float32Array;
    const i32 = this.i32;
    for (const t of this.plan.threads) i32[(t.job + PROGRAM_JOB.fimages) / 4] = floats ? floatImages : 0;
    const out = new Float32Array(count * classes);
    const chunk = this.config.samples;
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start);
      const part = input.subarray(start * pixels, (start + size) * pixels);
      if (floats) new Float32Array(this.memory.buffer, floatImages, size * pixels).set(part);
      else new Uint8Array(this.memory.buffer, images, size * pixels).set(part);
      this.forwardBackward(0, size, 0, 0);
      out.set(new Float32Array(this.memory.buffer, probs, size * classes), start * classes);
    }
    return out;
  }

  /** One optimizer step from the gradients the last `forwardBackward` left (for profiling). */
  updateStep(): void {
    this.run(CMD.update);
  }

  private run(cmd: number): void {
    const started = performance.now();
    this.crew.run(cmd);
    this.timings[cmd === CMD.job ? 'job' : 'update'] += performance.now() - started;
  }

  /** Optimizer steps taken so far (tfjs's optimizer `iterations`). */
  get iterations(): number {
    return this.step;
  }
  set iterations(step: number) {
    this.step = step;
  }

  private base(param: ParamLayout, slot: ParamSlot): number {
    if (!param.trainable) return this.plan.stats / 4 + param.offset;
    return (slot === 'value' ? this.plan.P : slot === 'm' ? this.plan.M : this.plan.V) / 4 + param.offset;
  }

  /** A weight's values (or an optimizer state slot of it) in tfjs' layout: realRows x realCols. */
  read(param: ParamLayout, slot: ParamSlot = 'value'): Float32Array {
    return gather(this.f32, this.base(param, slot), param);
  }

  /** Sets a weight (or a state slot); `commitWeights` after the kernels. */
  write(param: ParamLayout, values: Float32Array, slot: ParamSlot = 'value'): void {
    const { realRows, realCols, rows, cols } = param;
    if (values.length !== realRows * realCols) throw new DigitsError('MODEL_SHAPE_MISMATCH', `${param.variable.name}: expected ${realRows * realCols} values, got ${values.length}`);
    const f32 = this.f32;
    const base = this.base(param, slot);
    f32.fill(0, base, base + rows * cols);
    for (let i = 0; i < realRows; i++) f32.set(values.subarray(i * realCols, (i + 1) * realCols), base + engineRow(param, i) * cols);
  }

  /** The gradient of a weight the last `forwardBackward(…, 1)` left, summed over the shards, in tfjs' layout. */
  gradient(param: ParamLayout): Float32Array {
    const f32 = this.f32;
    const total = new Float32Array(param.realRows * param.realCols);
    for (const t of this.plan.threads) {
      const part = gather(f32, t.G / 4 + param.offset, param);
      for (let i = 0; i < total.length; i++) total[i]! += part[i]!;
    }
    return total;
  }

  /**
   * The factors dropout op `op` multiplies its input by in training (0 or 1 / (1 - rate)), for
   * positions [first, first + rows) of a batch trained with `seed`: rows x the op's floats per sample.
   */
  dropoutFactors(op: number, seed: number, first: number, rows: number): Float32Array {
    if (rows > this.plan.rows * this.threads) throw new DigitsError('BAD_ARGUMENT', `${rows} rows is more than a batch`);
    const n = this.config.program.ops[op]!.outSize;
    this.exports.dropout_factors(this.plan.program, op, seed, first, rows, this.plan.factors);
    return new Float32Array(this.memory.buffer, this.plan.factors, rows * n).slice();
  }

  /** Rebuilds the packed kernels after `write`s. */
  commitWeights(): void {
    this.exports.pack_weights(this.plan.program);
  }

  async dispose(): Promise<void> {
    await this.crew.stop();
  }
}

/** The engine row of tfjs row i of a weight (rows of a group of real channels sit at the group's stride). */
const engineRow = (p: ParamLayout, i: number) => Math.floor(i / p.group) * p.groupStride + (i % p.group);

function gather(f32: Float32Array, base: number, param: ParamLayout): Float32Array {
  const { realRows, realCols, cols } = param;
  const out = new Float32Array(realRows * realCols);
  for (let i = 0; i < realRows; i++) {
    const at = base + engineRow(param, i) * cols;
    out.set(f32.subarray(at, at + realCols), i * realCols);
  }
  return out;
}

/** Fills in the program, its ops and every shard's job and update structs. */
function writeStructs(memory: WebAssembly.Memory, program: Program, plan: ProgramPlan, threads: number, optimizer: OptimizerSpec): void {
  const i32 = new Int32Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer);
  const setI = (at: number, value: number) => (i32[at / 4] = value);
  const setF = (at: number, value: number) => (f32[at / 4] = value);
  setI(plan.program + PROGRAM.ops, program.ops.length);
  setI(plan.program + PROGRAM.classes, program.classes);
  setI(plan.program + PROGRAM.P, plan.P);
  setI(plan.program + PROGRAM.stats, plan.stats);
  setI(plan.program + PROGRAM.op, plan.ops);
  program.ops.forEach((op, i) => {
    const at = plan.ops + i * OP.size;
    const { input: m, output: o } = op;
    const ints: [keyof typeof OP, number][] = [
      ['kind', OP_KIND[op.kind]], ['act', ACT_CODE[op.act]], ['in_size', op.inSize], ['out_size', op.outSize],
      ['h', m.h], ['w', m.w], ['c', m.c], ['cs', m.cs], ['oh', o.h], ['ow', o.w], ['oc', o.c], ['ocs', o.cs],
      ['kh', op.kh], ['kw', op.kw], ['sh', op.sh], ['sw', op.sw], ['pt', op.pt], ['pl', op.pl], ['K', op.K],
      ['W', op.params[0]?.offset ?? 0], ['b', op.params[1]?.offset ?? 0], ['Wp', plan.Wp[i]!], ['WTp', plan.WTp[i]!],
      ['mean', op.params[2]?.offset ?? 0], ['var', op.params[3]?.offset ?? 0],
      ['drop_threshold', Math.round(op.dropRate * 2 ** 24)], ['need_dx', op.needDx ? 1 : 0], ['count', op.count],
    ];
    for (const [field, value] of ints) setI(at + OP[field], value);
    setF(at + OP.drop_scale, 1 / (1 - op.dropRate));
    setF(at + OP.eps, op.eps);
    setF(at + OP.momentum, op.momentum);
  });
  const fields = updateFields(optimizer);
  plan.threads.forEach((t, s) => {
    const job = t.job;
    setI(job + PROGRAM_JOB.prog, plan.program);
    setI(job + PROGRAM_JOB.images, plan.images);
    setI(job + PROGRAM_JOB.labels, plan.labels);
    setI(job + PROGRAM_JOB.order, plan.order);
    setI(job + PROGRAM_JOB.probs, plan.probs);
    setI(job + PROGRAM_JOB.pixels, program.pixels);
    t.act.forEach((v, i) => setI(job + PROGRAM_JOB.act + 4 * i, v));
    t.delta.forEach((v, i) => setI(job + PROGRAM_JOB.delta + 4 * i, v));
    t.aux.forEach((v, i) => setI(job + PROGRAM_JOB.aux + 4 * i, v));
    t.bn.forEach((v, i) => setI(job + PROGRAM_JOB.bn + 4 * i, v));
    for (const key of ['keep_ptr', 'keep_idx', 'keep_val'] as const) t[key].forEach((v, i) => setI(job + PROGRAM_JOB[key] + 4 * i, v));
    for (const key of ['csr_ptr', 'csr_idx', 'csr_val', 't_ptr', 't_idx', 't_val', 't_count', 'dcol', 'G'] as const) setI(job + PROGRAM_JOB[key], t[key]);
    setI(job + PROGRAM_JOB.shard, s);
    setI(job + PROGRAM_JOB.shards, threads);
    setI(job + PROGRAM_JOB.sync, plan.sync);
    setI(job + PROGRAM_JOB.partial, plan.partial);
    setI(job + PROGRAM_JOB.partial_stride, plan.partialStride);
    const u = t.update;
    setI(u + PROGRAM_UPDATE.prog, plan.program);
    setI(u + PROGRAM_UPDATE.threads, threads);
    setI(u + PROGRAM_UPDATE.G0, plan.threads[0]!.G);
    setI(u + PROGRAM_UPDATE.grad_stride, plan.gradStride);
    setI(u + PROGRAM_UPDATE.M, plan.M);
    setI(u + PROGRAM_UPDATE.V, plan.V);
    setI(u + PROGRAM_UPDATE.part, s);
    setI(u + PROGRAM_UPDATE.parts, threads);
    setI(u + PROGRAM_UPDATE.kind, fields.kind);
    setI(u + PROGRAM_UPDATE.nesterov, fields.nesterov);
    for (const key of ['lr', 'beta1', 'beta2', 'eps', 'one_minus_beta1', 'one_minus_beta2'] as const) setF(u + PROGRAM_UPDATE[key], fields[key]);
  });
}
