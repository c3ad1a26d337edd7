import * as tf from '@tensorflow/tfjs';
import { DigitsError, isDigitsError } from '@digits/mnist-data';
import { isModuleNotFound, isNode } from './node-resolve';
import { engineBackend } from '../engine/backend';
import type { BackendActivation, BackendChoice, BackendName, BackendProvider, SelectBackendOptions } from './provider';
import { activateWasm } from './wasm';
import { webgpuProvider } from './webgpu';

type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
let nativeLoaded: NativePackage | undefined;

/** Imports a tfjs-node package only if installed; never both in one process (they clash). */
async function activateNative(pkg: NativePackage): Promise<string> {
  if (!isNode()) throw unavailable(`${pkg} runs only in Node.js`);
  if (nativeLoaded && nativeLoaded !== pkg) {
    throw unavailable(`${nativeLoaded} is already loaded in this process, and ${pkg} cannot be loaded beside it`);
  }
  if (!nativeLoaded) {
    try {
      // A variable specifier keeps bundlers from trying to resolve these optional packages.
      const specifier: string = pkg;
      await import(/* @vite-ignore */ specifier);
    } catch (error) {
      if (isModuleNotFound(error, pkg)) {
        throw unavailable(`${pkg} is not installed (npm install ${pkg}@4.22.0; it needs a libtensorflow download, see tfjs#8742)`);
      }
      throw unavailable(`${pkg} is installed but failed to load: ${(error as Error).message}`, error);
    }
    nativeLoaded = pkg;
  }
  if (!(await tf.setBackend('tensorflow'))) throw unavailable(`${pkg} loaded, but its 'tensorflow' backend failed to start`);
  return pkg === '@tensorflow/tfjs-node-gpu' ? 'TensorFlow C library with CUDA (tfjs-node-gpu)' : 'TensorFlow C library (tfjs-node)';
}

const BUILTIN: BackendProvider[] = [
  {
    name: 'tensorflow-gpu',
    description: 'tfjs-node-gpu',
    activate: () => activateNative('@tensorflow/tfjs-node-gpu'),
  },
  webgpuProvider,
  {
    name: 'tensorflow',
    description: 'tfjs-node',
    activate: () => activateNative('@tensorflow/tfjs-node'),
  },
  engineBackend,
  { name: 'wasm', description: 'the wasm backend', activate: (options) => activateWasm(options) },
  {
    name: 'cpu',
    description: 'the cpu backend',
    activate: async () => {
      if (!(await tf.setBackend('cpu'))) throw unavailable('the cpu backend failed to start');
      return 'plain JavaScript (tfjs cpu backend; slow)';
    },
  },
];

const extra: BackendProvider[] = [];

/** Adds a selectable backend (e.g. the web app's 'webgl'); replaces one of the same name. */
export function registerBackendProvider(provider: BackendProvider): () => void {
  if (BUILTIN.some((b) => b.name === provider.name) || provider.name === 'auto') {
    throw new DigitsError('BAD_ARGUMENT', `backend name '${provider.name}' is reserved`);
  }
  const i = extra.findIndex((p) => p.name === provider.name);
  if (i >= 0) extra.splice(i, 1);
  extra.push(provider);
  return () => {
    const j = extra.indexOf(provider);
    if (j >= 0) extra.splice(j, 1);
  };
}

/** The order 'auto' tries: native GPU, WebGPU, native CPU, the digits CPU engine, wasm, cpu (registered extras where they ask). */
function autoOrder(): BackendProvider[] {
  const order: BackendProvider[] = [];
  for (const builtin of BUILTIN) {
    order.push(...extra.filter((p) => p.autoBefore === builtin.name), builtin);
  }
  return order;
}

export function backendNames(): string[] {
  return ['auto', ...BUILTIN.map((b) => b.name), ...extra.map((p) => p.name)];
}

/**
 * Makes the named backend tfjs's active one. 'auto' tries tfjs-node-gpu, WebGPU (a hardware adapter
 * only), tfjs-node (both tfjs-node packages only if installed), then the digits CPU engine (MLPs
 * trained and run in the engine, other models on wasm), wasm, cpu, and reports why it skipped each one before the winner.
 */
export async function selectBackend(name: BackendName = 'auto', options: SelectBackendOptions = {}): Promise<BackendChoice> {
  if (name !== 'auto') {
    const provider = [...BUILTIN, ...extra].find((p) => p.name === name);
    if (!provider) {
      throw unavailable(`unknown backend '${name}'; choose one of: ${backendNames().join(', ')}`);
    }
    await deactivateCurrent();
    const reason = await activate(provider, options);
    return { name, backend: tf.getBackend(), reason, skipped: [] };
  }
  await deactivateCurrent();
  const skipped: string[] = [];
  for (const provider of autoOrder()) {
    const skip = provider.autoSkip?.(options);
    if (skip !== undefined) {
      skipped.push(`${provider.name}: ${skip}`);
      continue;
    }
    try {
      const reason = await activate(provider, options);
      return { name: provider.name, backend: tf.getBackend(), reason, skipped };
    } catch (error) {
      if (!isDigitsError(error, 'BACKEND_UNAVAILABLE')) throw error;
      skipped.push(`${provider.name}: ${error.message}`);
    }
  }
  throw unavailable(`no backend could start:\n  ${skipped.join('\n  ')}`);
}

/**
 * The activation of the selected provider, to undo before the next selection. One per process, as
 * tfjs's active backend is: whatever a provider turned on (the engine's trainer and predictor, its
 * memory and workers) stays on exactly while it is the selected backend.
 */
let current: BackendActivation | undefined;

async function activate(provider: BackendProvider, options: SelectBackendOptions): Promise<string> {
  const result = await provider.activate(options);
  current = typeof result === 'string' ? { reason: result } : result;
  return current.reason;
}

async function deactivateCurrent(): Promise<void> {
  const previous = current;
  current = undefined;
  await previous?.deactivate?.();
}

function unavailable(message: string, cause?: unknown): DigitsError {
  return new DigitsError('BACKEND_UNAVAILABLE', message, cause === undefined ? {} : { cause });
}
