import type * as tf from '@tensorflow/tfjs';
import type { BackendActivation, BackendProvider } from '../backends/provider';
import { activateWasm } from '../backends/wasm';
import { EngineRuntime } from './runtime';
import type { EngineSettings } from './settings';
import { threadsAvailable } from './threads';
import { relaxedSimdAvailable } from './wasm-module';

/**
 * The 'engine' backend of a runtime: the digits CPU engine for training, prediction and
 * evaluation of the models it supports (Dense, Conv2D, pooling, BatchNormalization, Dropout,
 * Flatten, Reshape, activations), and tfjs's wasm backend (with our kernel overrides) for every
 * other model, with the reason in `History.trainerReason`. Activation attaches the runtime (its trainer and predictor); deactivation, when another
 * backend is selected, detaches it and frees its memory and worker threads (settings stay).
 */
export function createEngineBackend(runtime: EngineRuntime): BackendProvider {
  return {
    name: 'engine',
    description: 'the digits CPU engine',
    async activate(options): Promise<BackendActivation> {
      const wasm = await activateWasm(options);
      const detach = runtime.attach();
      const threads = runtime.threads;
      const why = threads > 1 || threadsAvailable() ? '' : ' (no SharedArrayBuffer/workers here: one thread)';
      const simd = relaxedSimdAvailable() ? 'WebAssembly SIMD with relaxed-SIMD FMAs' : 'WebAssembly SIMD';
      return {
        reason: `digits CPU engine: training and prediction of Dense, Conv2D, pooling and batchnorm models in ${simd} on ${threads} thread${threads > 1 ? 's' : ''}${why}; ${wasm}`,
        async deactivate() {
          detach();
          await runtime.release();
        },
      };
    },
  };
}

/** The runtime behind the built-in 'engine' backend (the one `configureEngine` configures). */
export const builtinEngine = new EngineRuntime();

/** The built-in 'engine' backend: 'auto' tries it just before 'wasm'. */
export const engineBackend: BackendProvider = createEngineBackend(builtinEngine);

/** Changes how the built-in engine runs from its next session or prediction on (e.g. `{ threads: 1 }`). */
export function configureEngine(settings: EngineSettings): void {
  builtinEngine.configure(settings);
}

const NOT_SELECTED = 'the engine backend is not selected';

/**
 * Why `train()` would not train this model in the digits engine, or undefined when it would: the
 * engine backend is not selected, or the model is not one it trains (the layer, loss or optimizer
 * that is not supported).
 */
export function engineProblem(model: tf.LayersModel): string | undefined {
  return builtinEngine.attached ? builtinEngine.trainingProblem(model) : NOT_SELECTED;
}

/** Why `predictProbabilities`/`predictClasses`/`evaluate` would not run this model in the digits engine, or undefined when they would. */
export function enginePredictionProblem(model: tf.LayersModel): string | undefined {
  return builtinEngine.attached ? builtinEngine.predictionProblem(model) : NOT_SELECTED;
}
