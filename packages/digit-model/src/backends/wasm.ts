import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { isNode, resolvePackageDir } from './node-resolve';
import { registerWasmKernelOverrides } from './wasm-kernels';

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
let loading: Promise<string> | undefined;

export interface WasmOptions {
  /**
   * Where the .wasm files are served from (a URL prefix ending in '/', or a map of file names), as
   * for tfjs's setWasmPaths. Default in Node: the installed package's dist/ directory; in browsers:
   * tfjs's default, next to the script.
   */
  wasmPaths?: string | Record<string, string>;
}

/**
 * Loads tfjs-backend-wasm (once), points it at its .wasm files, replaces the slow kernels and makes
 * it the active backend. Resolves to a sentence describing what runs.
 */
export async function activateWasm(options: WasmOptions = {}): Promise<string> {
  loading ??= loadWasm(options).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  const description = await loading;
  if (!(await tf.setBackend('wasm'))) {
    throw new DigitsError('BACKEND_UNAVAILABLE', 'the wasm backend failed to initialise (is WebAssembly enabled?)');
  }
  return description;
}

async function loadWasm(options: WasmOptions): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const paths = options.wasmPaths ?? nodeWasmDir();
  if (paths !== undefined) wasm.setWasmPaths(paths);
  const overrides = registerWasmKernelOverrides();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `WebAssembly${simd ? ' SIMD' : ''} with XNNPACK; digits kernels for ${overrides.join(', ')}`;
}

function nodeWasmDir(): string | undefined {
  if (!isNode()) return undefined;
  const dir = resolvePackageDir(`${WASM_PACKAGE}/package.json`);
  if (!dir) {
    throw new DigitsError('BACKEND_UNAVAILABLE', `${WASM_PACKAGE} is not installed: npm install ${WASM_PACKAGE}@4.22.0`);
  }
  return `${dir}/dist/`;
}
