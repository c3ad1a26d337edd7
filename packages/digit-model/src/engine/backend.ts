import { activateWasm } from '../backends/wasm';
import type { BackendProvider } from '../backends/select';
import { registerTrainer } from '../trainer';
import { disableEnginePrediction, enableEnginePrediction } from './predictor';
import { engineTrainer } from './session';
import { defaultThreadCount, threadsAvailable } from './threads';

let unregister: (() => void) | undefined;

/** Makes `train()` use the engine for the models it supports (tfjs trains the rest). Idempotent. */
export function enableEngineTraining(): void {
  unregister ??= registerTrainer(engineTrainer);
}

/** Back to tfjs's `trainOnBatch` for every model. */
export function disableEngineTraining(): void {
  unregister?.();
  unregister = undefined;
}

/** Training and prediction of supported MLPs in the engine (what the engine backend turns on). */
export function enableEngine(): void {
  enableEngineTraining();
  enableEnginePrediction();
}

/** Both back to tfjs. */
export function disableEngine(): void {
  disableEngineTraining();
  disableEnginePrediction();
}

/** Threads an engine session would use here. */
export function engineThreads(): number {
  return threadsAvailable() ? defaultThreadCount() : 1;
}

/**
 * The 'engine' backend: the digits CPU engine for training MLPs and for their prediction and
 * evaluation, and tfjs's wasm backend (with our kernel overrides) for every other model. Built into selectBackend: 'auto' tries it just before 'wasm'.
 */
export const engineBackend: BackendProvider = {
  name: 'engine',
  description: 'the digits CPU engine',
  async activate(options) {
    const wasm = await activateWasm(options);
    enableEngine();
    const threads = engineThreads();
    const why = threads > 1 ? '' : threadsAvailable() ? '' : ' (no SharedArrayBuffer/workers here: one thread)';
    return `digits CPU engine: MLP training and prediction in WebAssembly SIMD on ${threads} thread${threads > 1 ? 's' : ''}${why}; ${wasm}`;
  },
};
