import { DigitsError } from '@digits/mnist-data';
import { CMD, CTRL, canBlock, startWorker, type EngineWorker } from './threads';

/** How long a synchronous start waits for worker threads. */
const WORKER_START_MS = 10_000;

// Polls before sleeping in Atomics.wait: long enough for a sibling finishing its share and for the
// JavaScript between two steps of a batch (a futex wake-up costs more than most of those gaps),
// short enough not to steal a busy machine's cores: ~0.4 ms of Atomics.load on the 2-core Xeon
// (2,000, ~40 us, let the threads fall asleep between steps: 5% slower MLP epochs).
const SPIN = 20000;

/** Byte offsets of the fields both engines' job structs have for a batch (engine.c's Job, program.h's ProgramJob). */
export interface BatchFields {
  first: number;
  rows: number;
  batch: number;
  training: number;
  seed: number;
  loss: number;
  correct: number;
}

/** What a crew runs on this thread: a module's `run_job` / `run_update` on one shard's struct. */
export interface CrewExports {
  run_job(job: number): void;
  run_update(update: number): void;
}

export interface CrewInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: CrewExports;
  /** Byte offset of the control block, and each shard's job and update structs. */
  ctrl: number;
  jobs: number[];
  updates: number[];
  /** Whether workers run shards 1.. (shared memory and workers exist); else this thread runs them all. */
  shared: boolean;
}

/**
 * The threads that run one engine's shards: this thread runs shard 0 and workers run the others,
 * told through a control block in the shared memory, or this thread runs every shard one after
 * another (`parallel = false`, or no workers). Either way each shard writes only its own buffers,
 * so the results do not depend on which ran.
 */
export class Crew {
  /** Run the shards on the workers (true, the default where there are any) or all on this thread. */
  parallel = true;
  private seq = 0;
  private stopped = false;
  readonly workers: EngineWorker[];

  constructor(private readonly init: CrewInit) {
    const workers: EngineWorker[] = [];
    const { module, memory, ctrl, jobs, updates } = init;
    try {
      for (let t = 1; init.shared && t < jobs.length; t++) {
        workers.push(startWorker({ module, memory, ctrl, job: jobs[t]!, update: updates[t]!, workers: jobs.length - 1, spin: SPIN }));
      }
    } catch (error) {
      void Promise.all(workers.map((w) => w.terminate()));
      throw failedToStart((error as Error).message, error);
    }
    this.workers = workers;
  }

  /** Shards of each batch. */
  get shards(): number {
    return this.init.jobs.length;
  }

  /** Resolves once every worker is ready; terminates them and rejects if one failed. */
  async ready(): Promise<void> {
    try {
      await Promise.all(this.workers.map((w) => w.ready));
    } catch (error) {
      await Promise.all(this.workers.map((w) => w.terminate()));
      throw failedToStart((error as Error).message, error);
    }
  }

  /** `ready`, blocking this thread (where it may block: Node) until the workers report in. */
  readySync(): void {
    if (this.workers.length === 0) return;
    const control = new Int32Array(this.init.memory.buffer, this.init.ctrl, CTRL.size);
    const deadline = performance.now() + WORKER_START_MS;
    let ready = Atomics.load(control, CTRL.ready);
    while (ready < this.workers.length && performance.now() < deadline) {
      Atomics.wait(control, CTRL.ready, ready, 50);
      ready = Atomics.load(control, CTRL.ready);
    }
    if (ready < this.workers.length) {
      const reason = this.workers.map((w) => w.lastError()).find((e) => e) ?? `not ready after ${WORKER_START_MS} ms`;
      void Promise.all(this.workers.map((w) => w.terminate()));
      throw failedToStart(reason);
    }
  }

  /**
   * Splits positions [first, first + size) of the epoch's order into the shards' jobs (as even as
   * possible, in order) and sets the batch's size, pass and dropout seed in each; `job` gives the
   * byte offsets of those fields in the module's job struct.
   */
  setBatch(job: BatchFields, first: number, size: number, seed: number, training: 0 | 1): void {
    const i32 = new Int32Array(this.init.memory.buffer);
    const per = Math.ceil(size / this.shards);
    this.init.jobs.forEach((at, t) => {
      const from = Math.min(size, t * per);
      i32[(at + job.first) / 4] = first + from;
      i32[(at + job.rows) / 4] = Math.min(size, from + per) - from;
      i32[(at + job.batch) / 4] = size;
      i32[(at + job.training) / 4] = training;
      i32[(at + job.seed) / 4] = seed;
    });
  }

  /** The summed loss and correct count the shards' jobs left (after `run(CMD.job)`). */
  batchResult(job: BatchFields): { loss: number; correct: number } {
    const i32 = new Int32Array(this.init.memory.buffer);
    const f32 = new Float32Array(this.init.memory.buffer);
    let loss = 0;
    let correct = 0;
    for (const at of this.init.jobs) {
      loss += f32[(at + job.loss) / 4]!;
      correct += i32[(at + job.correct) / 4]!;
    }
    return { loss, correct };
  }

  /** Runs a command (CMD.job or CMD.update) on every shard and waits for all. */
  run(cmd: number): void {
    if (this.stopped) throw new DigitsError('BAD_ARGUMENT', 'the engine was disposed');
    const { memory, exports, jobs, updates } = this.init;
    const ctrl = new Int32Array(memory.buffer, this.init.ctrl, CTRL.size);
    const workers = this.parallel ? this.workers.length : 0;
    if (workers > 0) {
      Atomics.store(ctrl, CTRL.done, 0);
      Atomics.store(ctrl, CTRL.cmd, cmd);
      Atomics.store(ctrl, CTRL.seq, ++this.seq);
      Atomics.notify(ctrl, CTRL.seq);
    }
    let failure: unknown;
    try {
      const mine = workers > 0 ? 1 : jobs.length;
      for (let t = 0; t < mine; t++) {
        if (cmd === CMD.job) exports.run_job(jobs[t]!);
        else exports.run_update(updates[t]!);
      }
    } catch (error) {
      failure = error;
    }
    if (workers > 0) {
      const block = canBlock();
      let done = Atomics.load(ctrl, CTRL.done);
      for (let i = 0; done < workers && i < SPIN; i++) done = Atomics.load(ctrl, CTRL.done);
      while (done < workers) {
        if (block) Atomics.wait(ctrl, CTRL.done, done, 1000);
        done = Atomics.load(ctrl, CTRL.done);
      }
      if (Atomics.load(ctrl, CTRL.error)) {
        failure ??= new Error(this.workers.map((w) => w.lastError()).find((e) => e) ?? 'an engine worker failed');
      }
    }
    if (failure !== undefined) {
      throw new DigitsError('BACKEND_UNAVAILABLE', `the engine failed: ${(failure as Error).message ?? String(failure)}`, { cause: failure });
    }
  }

  /** Tells the workers to exit and waits until they have; later `run`s fail. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.workers.length > 0) {
      const ctrl = new Int32Array(this.init.memory.buffer, this.init.ctrl, CTRL.size);
      Atomics.store(ctrl, CTRL.cmd, CMD.exit);
      Atomics.store(ctrl, CTRL.seq, ++this.seq);
      Atomics.notify(ctrl, CTRL.seq);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function failedToStart(reason: string, cause?: unknown): DigitsError {
  return new DigitsError('BACKEND_UNAVAILABLE', `the engine's worker threads failed to start: ${reason}`, cause === undefined ? undefined : { cause });
}
