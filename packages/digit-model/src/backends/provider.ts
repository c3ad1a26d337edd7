import type { WasmOptions } from './wasm';
import type { WebGpuOptions } from './webgpu-probe';

/**
 * The types shared by `selectBackend` and the providers it selects from (the built-in ones in
 * `backends/` and `engine/`, and registered ones), in their own module so that neither side has to
 * import the other.
 */

export type BuiltinBackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'engine' | 'wasm' | 'cpu';
export type BackendName = 'auto' | BuiltinBackendName | (string & {});

export interface BackendChoice {
  /** The name it was selected by ('wasm', 'engine', ...). */
  name: string;
  /** tf.getBackend() now. */
  backend: string;
  /** What runs, e.g. 'WebAssembly SIMD with XNNPACK; ...'. */
  reason: string;
  /** One line per backend tried before it and skipped, with why. */
  skipped: string[];
}

export interface SelectBackendOptions extends WasmOptions {
  /** For 'webgpu' (also in 'auto'): Dawn options, feature level, software adapters. */
  webgpu?: WebGpuOptions;
}

/**
 * What an activated provider hands back: a sentence about what runs, and how to undo whatever it
 * turned on besides tfjs's active backend (the engine registers its trainer and predictor, and
 * holds memory and worker threads). `selectBackend` calls `deactivate` before it activates the next
 * backend, so a provider's hooks are live exactly while it is the selected one.
 */
export interface BackendActivation {
  reason: string;
  deactivate?(): void | Promise<void>;
}

/**
 * A selectable backend. Activation makes it tfjs's active backend and resolves to a sentence about
 * what runs (or a `BackendActivation` with that sentence and a `deactivate`); when it cannot run it
 * throws DigitsError('BACKEND_UNAVAILABLE') saying how to get it.
 */
export interface BackendProvider {
  name: string;
  /** Human name used in messages, e.g. 'the digits CPU engine'. */
  description: string;
  /** 'auto' tries it just before this built-in backend; omitted: only selectable by name. */
  autoBefore?: BuiltinBackendName;
  /** In 'auto' only: a cheap reason to pass over it without activating, or undefined to try it. */
  autoSkip?(options: SelectBackendOptions): string | undefined;
  activate(options: SelectBackendOptions): Promise<string | BackendActivation>;
}
