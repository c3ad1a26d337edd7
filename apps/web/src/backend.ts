import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { registerBackendProvider, selectBackend, type BackendChoice } from '@digits/model';
import { loadWebglBackend, registerLazyCpuBackend } from './lazy-backends';
// The wasm binaries are emitted into the build (hashed), so the app works offline and from any host.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';

registerLazyCpuBackend();

/** Software WebGL (SwiftShader...) is skipped by 'auto' but can be asked for by name. */
let softwareWebglAllowed = false;

const unavailable = (message: string) => new DigitsError('BACKEND_UNAVAILABLE', message);

/** Runs a tiny op: a backend that initialises but cannot compute is no use. */
async function probe(name: string): Promise<void> {
  const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
  const value = (await sum.data())[0];
  sum.dispose();
  if (value !== 3) throw unavailable(`${name} gave a wrong result`);
}

// WebGPU is one of @digits/model's own backends (navigator.gpu here). WebGL joins the 'auto' order
// before the digits CPU engine, on a real GPU only.
registerBackendProvider({
  name: 'webgl',
  description: 'WebGL',
  autoBefore: 'engine',
  async activate() {
    const renderer = webglRenderer();
    if (renderer === null) throw unavailable('no WebGL context (GPU disabled or blocklisted)');
    if (!softwareWebglAllowed && /swiftshader|llvmpipe|softpipe|software/i.test(renderer)) {
      throw unavailable(`WebGL runs in software here (${renderer}), slower than WebAssembly`);
    }
    await loadWebglBackend();
    if (!(await tf.setBackend('webgl'))) throw unavailable('the webgl backend failed to start');
    await probe('webgl');
    return 'WebGL';
  },
});

/** The WebGL renderer's name (e.g. 'ANGLE (..., SwiftShader ...)'), or null without WebGL. */
function webglRenderer(): string | null {
  const canvas = document.createElement('canvas');
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return renderer;
}

/**
 * tfjs's multi-threaded wasm build starts its pthread workers from its own script, which does not
 * survive bundling (the workers fail with "e is not defined" and the backend never comes up). In a
 * cross-origin isolated page it would be chosen, so it is switched off: tfjs runs its wasm kernels
 * on one thread, and the digits engine (which has its own workers) uses the cores.
 */
async function singleThreadedWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm'); // registers the flag (the library imports the same module)
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

/**
 * Picks the fastest backend that works here: WebGPU, WebGL (on a real GPU), WebAssembly, then
 * plain JS.
 * `?backend=wasm` (or webgl, webgpu, cpu) in the page URL asks for one.
 */
export async function chooseBackend(forced?: string | null): Promise<BackendChoice> {
  await singleThreadedWasm();
  const wasmPaths = {
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    // setWasmPaths wants an entry per binary; the threaded one is never fetched (see above)
    'tfjs-backend-wasm-threaded-simd.wasm': wasmSimd,
  };
  if (forced && forced !== 'auto') {
    softwareWebglAllowed = forced === 'webgl';
    try {
      return await selectBackend(forced, { wasmPaths });
    } catch (error) {
      const auto = await selectBackend('auto', { wasmPaths });
      return { ...auto, skipped: [`${forced} (asked for): ${(error as Error).message}`, ...auto.skipped] };
    }
  }
  return selectBackend('auto', { wasmPaths });
}
