import { DigitsError } from '@digits/mnist-data';
import { JOB, MAX_LAYERS, NET, UPDATE } from './layout';
import { GRADIENT_GROUP, PAGE, planMemory } from './memory-plan';
import { updateFields, type OptimizerSpec } from './optimizers';
import { Crew } from './crew';
import { CMD, canBlock, threadsAvailable } from './threads';
import { chooseSimd, compileModule, moduleBytes, type EngineSimd } from './wasm-module';

export { relaxedSimdAvailable, type EngineSimd } from './wasm-module';

/** The activations of hidden layers the engine computes (the last layer is always the softmax). */
export type EngineActivation = 'relu' | 'linear' | 'sigmoid' | 'tanh';
/** The C side's ACT_* codes (engine-src/engine.c). */
const ACTIVATION_CODE: Record<EngineActivation, number> = { relu: 0, linear: 1, sigmoid: 2, tanh: 3 };

/** The network as the engine lays it out: real sizes, padded to multiples of 4 floats. */
export interface EngineShape {
  inputSize: number;
  units: number[];
  /** Dropout rate after each layer's activation (0: none; the last entry, the classifier's, is 0). */
  dropout: number[];
  /** Each hidden layer's activation (the last entry, the classifier's, is ignored: softmax). */
  activations: EngineActivation[];
}

export interface EngineConfig {
  shape: EngineShape;
  /** The largest batch trained (rows per thread are sized from it). */
  batchSize: number;
  /** Samples of the training split, and pixels per sample. */
  samples: number;
  /** Threads wanted; fewer when the platform has no shared memory or workers. */
  threads: number;
  /** The training step's optimizer; omitted for an engine that only predicts. */
  optimizer?: OptimizerSpec | undefined;
  /** An engine for `predict` only: room for float inputs and probabilities, no labels or order. */
  prediction?: boolean;
  /** The build to run; default: 'relaxed' where this runtime validates relaxed SIMD (see `relaxedSimdAvailable`). */
  simd?: EngineSimd | undefined;
}

interface Exports {
  run_job(job: number): void;
  run_update(update: number): void;
  pack_weights(net: number): void;
  dropout_factors(net: number, layer: number, seed: number, first: number, rows: number, out: number): void;
}

interface EngineParts {
  exports: Exports;
  memory: WebAssembly.Memory;
  crew: Crew;
  threads: number;
  strides: number[];
  pitches: number[];
  inDims: number[];
  rowsPerThread: number;
  net: number;
  jobs: number[];
  updateJobs: number[];
  params: { W: number; b: number; mW: number; mb: number; vW: number; vb: number }[];
  images: number;
  labels: number;
  order: number;
  samples: number;
  pixels: number;
  optimizer: OptimizerSpec;
  classes: number;
  floatImages: number;
  probs: number;
  simd: EngineSimd;
  factors: number;
}

/**
 * One engine instance: the wasm memory holding the network, its optimizer state, the training split,
 * per-thread workspaces; the worker threads; and the batch loop's two steps (forward/backward on each
 * thread's share of the batch, then, on each thread's share of the parameters, their gradients summed
 * over the whole batch and the optimizer's step on them).
 */
export class Engine {
  /** Wall milliseconds spent in each step of the batch loop (forward/backward, optimizer), this thread's view. */
  readonly timings = { job: 0, update: 0, batches: 0 };
  private step = 0;

  private constructor(private readonly p: EngineParts) {}

  /** Shards of each batch (the threads asked for); all run on this thread when `parallel` is off. */
  get threads(): number {
    return this.p.threads;
  }

  /** Bytes of wasm memory it holds (network, optimizer state, data, workspaces). */
  get memoryBytes(): number {
    return this.p.memory.buffer.byteLength;
  }

  /** The build running: relaxed-SIMD FMAs or plain SIMD128. */
  get simd(): EngineSimd {
    return this.p.simd;
  }

  /** Whether worker threads can run the shards (shared memory and workers exist here). */
  get hasWorkers(): boolean {
    return this.p.crew.workers.length > 0;
  }

  /**
   * Run the shards on the worker threads (true, the default when there are workers) or one after
   * another on this thread (false: faster when the cores are busy with other work, since every
   * batch waits for the slowest thread). Results are identical either way.
   */
  get parallel(): boolean {
    return this.p.crew.parallel;
  }
  set parallel(value: boolean) {
    this.p.crew.parallel = value;
  }

  static async create(config: EngineConfig): Promise<Engine> {
    const build = Engine.build(config);
    const module = await compileModule('engine', build.shared, build.simd);
    const instance = await WebAssembly.instantiate(module, { env: { memory: build.memory } });
    const engine = build.finish(module, instance.exports as unknown as Exports);
    await engine.p.crew.ready();
    return engine;
  }

  /**
   * `create`, synchronously: compiles the (small) engine module on this thread and, where this
   * thread may block (Node), waits for the worker threads on the shared memory. For callers that
   * cannot be async (`predictProbabilities`).
   */
  static createSync(config: EngineConfig): Engine {
    const build = Engine.build({ ...config, threads: canBlock() ? config.threads : 1 });
    const module = new WebAssembly.Module(moduleBytes('engine', build.shared, build.simd));
    const instance = new WebAssembly.Instance(module, { env: { memory: build.memory } });
    const engine = build.finish(module, instance.exports as unknown as Exports);
    engine.p.crew.readySync();
    return engine;
  }

  /** Lays out the memory and allocates it; `finish` fills it in once the module is instantiated and starts the workers. */
  private static build(config: EngineConfig) {
    const { shape, batchSize, samples } = config;
    const L = shape.units.length;
    if (L > MAX_LAYERS) throw new DigitsError('BAD_ARGUMENT', `the engine trains at most ${MAX_LAYERS} Dense layers`);
    if (shape.activations.length !== L || shape.dropout.length !== L) {
      throw new DigitsError('BAD_ARGUMENT', `the engine needs an activation and a dropout rate for each of the ${L} layers`);
    }
    // Each batch is split into `threads` shards, whether worker threads run them or this thread
    // runs them one after another (see `parallel`). The gradients are summed over the batch's rows
    // in order whatever the shards, so the weights do not depend on either.
    const threads = Math.max(1, Math.min(config.threads, batchSize));
    const shared = threads > 1 && threadsAvailable();
    const simd = chooseSimd(config.simd);
    const optimizer: OptimizerSpec = config.optimizer ?? { kind: 'sgd', learningRate: 0 };
    const plan = planMemory({ inputSize: shape.inputSize, units: shape.units, batchSize, samples, threads, prediction: config.prediction === true });
    const { rows, strides, pitches, inDims, net, ctrl, params, Wp, WTp, jobList, factors, images, labels, order, floatImages, probs } = plan;
    const jobs = plan.threads.map((t) => t.job);
    const updateJobs = plan.threads.map((t) => t.update);
    const classes = shape.units[L - 1]!;

    const pages = Math.ceil(plan.size / PAGE);
    const memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages, maximum: pages });
    const finish = (module: WebAssembly.Module, exports: Exports) => {

      const i32 = new Int32Array(memory.buffer);
      const f32 = new Float32Array(memory.buffer);
      const setI = (base: number, field: number, value: number | number[]) => {
        if (Array.isArray(value)) value.forEach((v, i) => (i32[(base + field) / 4 + i] = v));
        else i32[(base + field) / 4] = value;
      };
      setI(net, NET.layers, L);
      setI(net, NET.classes, shape.units[L - 1]!);
      setI(net, NET.in_dim, inDims);
      setI(net, NET.stride, strides);
      setI(net, NET.ld, pitches);
      setI(net, NET.units, shape.units);
      setI(net, NET.activation, shape.units.map((_, l) => (l < L - 1 ? ACTIVATION_CODE[shape.activations[l]!] : 0)));
      setI(
        net,
        NET.drop_threshold,
        shape.dropout.map((rate) => Math.round(rate * 2 ** 24)),
      );
      shape.dropout.forEach((rate, l) => (f32[(net + NET.drop_scale) / 4 + l] = 1 / (1 - rate)));
      setI(net, NET.W, params.map((p) => p.W));
      setI(net, NET.b, params.map((p) => p.b));
      setI(net, NET.Wp, Wp);
      setI(net, NET.WTp, WTp);
      for (let t = 0; t < threads; t++) {
        const job = jobs[t]!;
        setI(job, JOB.net, net);
        setI(job, JOB.images, images);
        setI(job, JOB.labels, labels);
        setI(job, JOB.order, order);
        setI(job, JOB.probs, probs);
        setI(job, JOB.pixels, shape.inputSize);
        const { job: _job, update: _update, scratch: _scratch, ...buffers } = plan.threads[t]!;
        for (const [name, value] of Object.entries(buffers)) setI(job, JOB[name as keyof typeof JOB], value);
        const update = updateJobs[t]!;
        i32[jobList / 4 + t] = job;
        setI(update, UPDATE.net, net);
        setI(update, UPDATE.jobs, jobList);
        setI(update, UPDATE.shards, threads);
        setI(update, UPDATE.scratch, plan.threads[t]!.scratch);
        setI(update, UPDATE.group, GRADIENT_GROUP);
        setI(update, UPDATE.mW, params.map((p) => p.mW));
        setI(update, UPDATE.mb, params.map((p) => p.mb));
        setI(update, UPDATE.vW, params.map((p) => p.vW));
        setI(update, UPDATE.vb, params.map((p) => p.vb));
        setI(update, UPDATE.part, t);
        setI(update, UPDATE.parts, threads);
        const fields = updateFields(optimizer);
        setI(update, UPDATE.kind, fields.kind);
        setI(update, UPDATE.nesterov, fields.nesterov);
        for (const key of ['lr', 'beta1', 'beta2', 'eps', 'one_minus_beta1', 'one_minus_beta2'] as const) {
          f32[(update + UPDATE[key]) / 4] = fields[key];
        }
      }

      const crew = new Crew({ module, memory, exports, ctrl, jobs, updates: updateJobs, shared });
      const engine = new Engine({
        exports,
        memory,
        crew,
        threads,
        strides,
        pitches,
        inDims,
        rowsPerThread: rows,
        net,
        jobs,
        updateJobs,
        params,
        images,
        labels,
        order,
        samples,
        pixels: shape.inputSize,
        optimizer,
        classes,
        floatImages,
        probs,
        simd,
        factors,
      });
      return engine;
    };
    return { shared, simd, memory, finish };
  }

  private get f32(): Float32Array {
    return new Float32Array(this.p.memory.buffer);
  }
  private get i32(): Int32Array {
    return new Int32Array(this.p.memory.buffer);
  }

  /** Copies the training split (when it changed) and this epoch's order into the engine. */
  setData(images: Uint8Array, labels: Uint8Array, order: Uint32Array, classes: number): void {
    const count = labels.length;
    if (count > this.p.samples || images.length !== count * this.p.pixels || order.length > count) {
      throw new DigitsError('BAD_ARGUMENT', `the engine was sized for ${this.p.samples} samples of ${this.p.pixels} pixels`);
    }
    for (let i = 0; i < count; i++) {
      if (labels[i]! >= classes) throw new DigitsError('BAD_ARGUMENT', `label ${labels[i]} of sample ${i} is not below ${classes}`);
    }
    const bytes = new Uint8Array(this.p.memory.buffer);
    bytes.set(images, this.p.images);
    bytes.set(labels, this.p.labels);
    new Uint32Array(this.p.memory.buffer, this.p.order, order.length).set(order);
  }

  /** Trains one batch: positions [first, first + size) of the order. Returns summed loss and correct count. */
  trainBatch(first: number, size: number, seed: number): { loss: number; correct: number } {
    const result = this.forwardBackward(first, size, seed, 1);
    this.step++;
    const f32 = this.f32;
    const { optimizer } = this.p;
    if (optimizer.kind === 'adam') {
      const c1 = 1 - Math.fround(optimizer.beta1 ** this.step);
      const c2 = 1 - Math.fround(optimizer.beta2 ** this.step);
      for (const update of this.p.updateJobs) {
        f32[(update + UPDATE.one_minus_acc_beta1) / 4] = c1;
        f32[(update + UPDATE.one_minus_acc_beta2) / 4] = c2;
      }
    }
    this.run(CMD.update);
    this.timings.batches++;
    return result;
  }

  /**
   * Runs the forward pass (training = 0) or forward and backward passes (1) of a batch on every
   * thread, leaving the deltas and transposed inputs the optimizer step reads. Returns summed loss
   * and correct count.
   */
  forwardBackward(first: number, size: number, seed: number, training: 0 | 1): { loss: number; correct: number } {
    if (size > this.p.rowsPerThread * this.p.threads) throw new DigitsError('BAD_ARGUMENT', `batch of ${size} is larger than the engine's`);
    this.p.crew.setBatch(JOB, first, size, seed, training);
    this.run(CMD.job);
    return this.p.crew.batchResult(JOB);
  }

  /**
   * Inference (no dropout) of `count` samples, as bytes (scaled by 1/255, as in training) or as
   * floats, `samples` at a time; returns count x classes probabilities. Needs `prediction: true`.
   */
  predict(input: Uint8Array | Float32Array, count: number): Float32Array {
    const { floatImages, images, probs, pixels, classes, samples, jobs } = this.p;
    if (!probs) throw new DigitsError('BAD_ARGUMENT', 'this engine was not created for prediction');
    if (input.length !== count * pixels) {
      throw new DigitsError('BAD_ARGUMENT', `expected ${count} x ${pixels} inputs, got ${input.length} values`);
    }
    const floats = input instanceof Float32Array;
    const i32 = this.i32;
    for (const job of jobs) i32[(job + JOB.fimages) / 4] = floats ? floatImages : 0;
    const out = new Float32Array(count * classes);
    for (let start = 0; start < count; start += samples) {
      const size = Math.min(samples, count - start);
      const chunk = input.subarray(start * pixels, (start + size) * pixels);
      if (floats) new Float32Array(this.p.memory.buffer, floatImages, size * pixels).set(chunk);
      else new Uint8Array(this.p.memory.buffer, images, size * pixels).set(chunk);
      this.forwardBackward(0, size, 0, 0);
      out.set(new Float32Array(this.p.memory.buffer, probs, size * classes), start * classes);
    }
    return out;
  }

  /** Runs a command on every shard and waits for all. */
  private run(cmd: number): void {
    const started = performance.now();
    this.p.crew.run(cmd);
    this.timings[cmd === CMD.job ? 'job' : 'update'] += performance.now() - started;
  }

  /** One optimizer step from what the last `forwardBackward` left (for profiling). */
  updateStep(): void {
    this.run(CMD.update);
  }

  /** Optimizer steps taken so far (tfjs's optimizer `iterations`). */
  get iterations(): number {
    return this.step;
  }
  set iterations(step: number) {
    this.step = step;
  }

  /**
   * The real (unpadded) values of layer l's kernel, bias, or their optimizer state: slot 'm' is
   * the first of `stateSlots(optimizer)` (Adam's m), 'v' the second.
   */
  read(l: number, what: 'W' | 'b' | 'mW' | 'mb' | 'vW' | 'vb', realIn: number, units: number): Float32Array {
    const f32 = this.f32;
    const base = this.p.params[l]![what] / 4;
    if (what === 'b' || what === 'mb' || what === 'vb') return f32.slice(base, base + units);
    const n = this.p.pitches[l]!;
    const out = new Float32Array(realIn * units);
    for (let k = 0; k < realIn; k++) out.set(f32.subarray(base + k * n, base + k * n + units), k * units);
    return out;
  }

  write(l: number, what: 'W' | 'b' | 'mW' | 'mb' | 'vW' | 'vb', values: Float32Array, realIn: number, units: number): void {
    const f32 = this.f32;
    const base = this.p.params[l]![what] / 4;
    if (what === 'b' || what === 'mb' || what === 'vb') {
      f32.set(values.subarray(0, units), base);
      return;
    }
    const n = this.p.pitches[l]!;
    for (let k = 0; k < realIn; k++) f32.set(values.subarray(k * units, (k + 1) * units), base + k * n);
  }

  /**
   * The factors training multiplies layer l's outputs (after ReLU) by: 0 where dropout dropped a
   * unit, 1 / (1 - rate) where it kept it (1 everywhere without dropout), for positions
   * [first, first + rows) of a batch trained with `seed` (as `trainBatch` was called): rows x units.
   * The mask depends on nothing else (not the thread count), so a reference can apply it.
   */
  dropoutFactors(l: number, seed: number, first: number, rows: number, units: number): Float32Array {
    if (rows > this.p.rowsPerThread * this.p.threads) throw new DigitsError('BAD_ARGUMENT', `${rows} rows is more than a batch`);
    const n = this.p.strides[l]!;
    this.p.exports.dropout_factors(this.p.net, l, seed, first, rows, this.p.factors);
    const all = new Float32Array(this.p.memory.buffer, this.p.factors, rows * n);
    const out = new Float32Array(rows * units);
    for (let r = 0; r < rows; r++) out.set(all.subarray(r * n, r * n + units), r * units);
    return out;
  }

  /** Rebuilds the packed copies of the kernels after `write`s. */
  commitWeights(): void {
    this.p.exports.pack_weights(this.p.net);
  }

  async dispose(): Promise<void> {
    await this.p.crew.stop();
  }
}
