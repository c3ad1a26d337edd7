import { DigitsError } from '@digits/mnist-data';
import {
  ENGINE_WASM_SHARED,
  ENGINE_WASM_SHARED_RELAXED,
  ENGINE_WASM_SINGLE,
  ENGINE_WASM_SINGLE_RELAXED,
  PROGRAM_WASM_SHARED,
  PROGRAM_WASM_SHARED_RELAXED,
  PROGRAM_WASM_SINGLE,
  PROGRAM_WASM_SINGLE_RELAXED,
} from './wasm-binary';

/** Which build of the engine: plain SIMD128, or SIMD128 plus relaxed-SIMD fused multiply-adds. */
export type EngineSimd = 'simd128' | 'relaxed';

// A function returning f32x4.relaxed_madd of three zero vectors: valid only where relaxed SIMD is.
const RELAXED_PROBE = (() => {
  const zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b];
  const code = [0x01, body.length, ...body];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type: () -> v128
    ...[0x03, 0x02, 0x01, 0x00], // one function of that type
    ...[0x0a, code.length, ...code],
  ]);
})();

/**
 * Whether this runtime runs relaxed SIMD (Chrome 114+, Node 22+; Node 20 after
 * `v8.setFlagsFromString('--experimental-wasm-relaxed-simd')`), asked each time since a flag can
 * switch it on later.
 */
export function relaxedSimdAvailable(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/**
 * Switches relaxed SIMD on where this runtime has it behind a flag (Node 20's V8:
 * `--experimental-wasm-relaxed-simd`; Node 22+ and Chrome 114+ have it on), so that engines started
 * afterwards run the fused multiply-add build, 5-10% faster on x64. A program that owns its process
 * calls it first thing (the `digits` command does); engines already compiled keep their build.
 * Nothing happens where it is on already or no flag can switch it (browsers). Returns whether it
 * is available now.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdAvailable()) return true;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
  v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
  return relaxedSimdAvailable();
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The MLP engine (engine.c) or the engine for compiled programs (program.c). */
export type EngineModule = 'engine' | 'program';

const BUILDS = {
  engine: { shared: ENGINE_WASM_SHARED, single: ENGINE_WASM_SINGLE, sharedRelaxed: ENGINE_WASM_SHARED_RELAXED, singleRelaxed: ENGINE_WASM_SINGLE_RELAXED },
  program: { shared: PROGRAM_WASM_SHARED, single: PROGRAM_WASM_SINGLE, sharedRelaxed: PROGRAM_WASM_SHARED_RELAXED, singleRelaxed: PROGRAM_WASM_SINGLE_RELAXED },
} as const;

/** The bytes of one build of a module. */
export function moduleBytes(kind: EngineModule, shared: boolean, simd: EngineSimd): Uint8Array<ArrayBuffer> {
  const relaxed = simd === 'relaxed';
  const b = BUILDS[kind];
  const text = atob(shared ? (relaxed ? b.sharedRelaxed : b.shared) : relaxed ? b.singleRelaxed : b.single);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** One build of a module, compiled once per process. */
export function compileModule(kind: EngineModule, shared: boolean, simd: EngineSimd): Promise<WebAssembly.Module> {
  const key = `${kind}:${shared}:${simd}`;
  let module = compiled.get(key);
  if (!module) {
    module = WebAssembly.compile(moduleBytes(kind, shared, simd));
    compiled.set(key, module);
  }
  return module;
}

/** The build to run: the one asked for (an error where this runtime lacks it), else the best available. */
export function chooseSimd(wanted: EngineSimd | undefined): EngineSimd {
  const available = relaxedSimdAvailable();
  if (wanted === 'relaxed' && !available) throw new DigitsError('BACKEND_UNAVAILABLE', 'this runtime has no relaxed SIMD');
  return wanted ?? (available ? 'relaxed' : 'simd128');
}
