/**
 * Worker threads for the engine, in Node (worker_threads, reached through process.getBuiltinModule
 * so that this module stays browser-safe) and in browsers (Web Workers from a Blob URL). Each worker
 * instantiates the engine on the shared memory and then serves commands posted through a control
 * block in that memory: the main thread bumps a sequence number, every thread runs the command on
 * its own job, and the last worker to finish wakes the main thread.
 */

/** Int32 slots of the control block. */
export const CTRL = { seq: 0, cmd: 1, done: 2, error: 3, ready: 4, size: 8 } as const;
export const CMD = { job: 1, update: 2, exit: 3 } as const;

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offsets of the control block and of this worker's structs. */
  ctrl: number;
  job: number;
  update: number;
  /** How many workers report to the control block. */
  workers: number;
  /** Polls of the sequence number before sleeping on it (short waits are common). */
  spin: number;
}

// Plain JavaScript run inside each worker; kept free of imports so it can be evaluated as a string.
const WORKER_SOURCE = `
function serve(init, report) {
  const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
  const ctrl = new Int32Array(init.memory.buffer, init.ctrl, ${CTRL.size});
  Atomics.add(ctrl, ${CTRL.ready}, 1);
  Atomics.notify(ctrl, ${CTRL.ready});
  report({ ready: true });
  let seen = 0;
  for (;;) {
    let seq = Atomics.load(ctrl, ${CTRL.seq});
    for (let i = 0; seq === seen && i < init.spin; i++) seq = Atomics.load(ctrl, ${CTRL.seq});
    while (seq === seen) {
      Atomics.wait(ctrl, ${CTRL.seq}, seen);
      seq = Atomics.load(ctrl, ${CTRL.seq});
    }
    seen = seq;
    const cmd = Atomics.load(ctrl, ${CTRL.cmd});
    if (cmd === ${CMD.exit}) break;
    try {
      if (cmd === ${CMD.job}) exports.run_job(init.job);
      else if (cmd === ${CMD.update}) exports.run_update(init.update);
    } catch (error) {
      Atomics.store(ctrl, ${CTRL.error}, 1);
      report({ error: String((error && error.stack) || error) });
    }
    if (Atomics.add(ctrl, ${CTRL.done}, 1) + 1 === init.workers) Atomics.notify(ctrl, ${CTRL.done});
  }
}
if (typeof require === 'function' && typeof process === 'object') {
  const { parentPort, workerData } = require('node:worker_threads');
  serve(workerData, (message) => parentPort.postMessage(message));
} else {
  self.onmessage = (event) => {
    self.onmessage = null;
    serve(event.data, (message) => self.postMessage(message));
  };
}
`;

export interface EngineWorker {
  /** Resolves once the worker has instantiated the engine. */
  ready: Promise<void>;
  /** The last error message the worker reported, if any. */
  lastError(): string | undefined;
  terminate(): Promise<void>;
}

interface NodeWorker {
  on(event: 'message' | 'error' | 'exit', listener: (value: never) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
type NodeWorkerThreads = { Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker };

function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
}

/** Whether this platform can run engine threads: shared memory plus some kind of worker. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (nodeWorkerThreads()) return true;
  return g.crossOriginIsolated === true && typeof g.Worker === 'function';
}

/** Cores to use by default: the available parallelism, at most 8. */
export function defaultThreadCount(): number {
  const g = globalThis as {
    process?: { getBuiltinModule?: (id: string) => { availableParallelism?: () => number } | undefined };
    navigator?: { hardwareConcurrency?: number };
  };
  const n = g.process?.getBuiltinModule?.('node:os')?.availableParallelism?.() ?? g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(8, n));
}

/** Whether this thread may block in Atomics.wait (Node's main thread may; a browser page's may not). */
export function canBlock(): boolean {
  return nodeWorkerThreads() !== undefined || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

export function startWorker(init: WorkerInit): EngineWorker {
  let error: string | undefined;
  let settle!: { resolve: () => void; reject: (e: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const onMessage = (message: { ready?: boolean; error?: string }) => {
    if (message.ready) settle.resolve();
    if (message.error) error = message.error;
  };
  const threads = nodeWorkerThreads();
  if (threads) {
    const worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData: init });
    worker.on('message', onMessage);
    worker.on('error', (e: Error) => {
      error = e.message;
      settle.reject(e);
    });
    worker.on('exit', () => settle.reject(new Error('engine worker exited')));
    // a worker waiting for commands must not keep the process alive; a starting one must
    void ready.then(() => worker.unref(), () => undefined);
    // terminate() settles on the worker's exit event. A worker told to exit (CMD.exit) may be ending
    // already, and its unref'd handle then holds nothing: without a timer Node could end the process
    // first and an awaited release (e.g. selectBackend('wasm') after the engine) would never settle
    // (exit code 13 in a script). The timer only keeps the loop alive; it is cleared at once.
    const terminate = async () => {
      const keepAlive = setTimeout(() => undefined, 10_000);
      try {
        await worker.terminate();
      } finally {
        clearTimeout(keepAlive);
      }
    };
    return { ready, lastError: () => error, terminate };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.onmessage = (event: MessageEvent) => onMessage(event.data as { ready?: boolean; error?: string });
  worker.onerror = (event: ErrorEvent) => {
    error = event.message;
    settle.reject(new Error(event.message));
  };
  worker.postMessage(init);
  return {
    ready,
    lastError: () => error,
    terminate: async () => {
      worker.terminate();
      URL.revokeObjectURL(url);
    },
  };
}
