import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Kernel overrides for tfjs-backend-wasm 4.22, registered in place of its own:
 * - BatchMatMul takes XNNPACK's fast path only without transposes, and Dense's backward pass
 *   multiplies by transposed operands, which falls back to a scalar loop. We transpose the operand
 *   first (a cheap copy) and run the untransposed, fast product.
 * - Slice reads the whole input out of the wasm heap (a full copy) for every call, so slicing
 *   batches out of a large tensor is quadratic. We copy only the requested region from a heap view.
 */
type KernelFunc = tf.KernelConfig['kernelFunc'];
type TensorInfo = tf.TensorInfo;

function kernelOf(name: string): KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
  return config.kernelFunc;
}

function transposeLastTwo(x: TensorInfo, backend: BackendWasm): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return kernelOf('Transpose')({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

function batchMatMulOverride(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const a2 = transposeA ? transposeLastTwo(a, wasm) : a;
    const b2 = transposeB ? transposeLastTwo(b, wasm) : b;
    try {
      return original({ inputs: { a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (a2 !== a) wasm.disposeData(a2.dataId);
      if (b2 !== b) wasm.disposeData(b2.dataId);
    }
  };
}

function sliceOverride(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    if (x.dtype === 'string') return original({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    const out = wasm.makeOutput(size_, x.dtype);
    if (tf.util.sizeFromShape(size_) === 0) return out;
    // Views, taken after makeOutput: allocating may grow (and detach) the wasm heap.
    const xVals = wasm.typedArrayFromHeap(x);
    const outVals = wasm.typedArrayFromHeap(out);
    const strides = tf.util.computeStrides(x.shape);
    if (tf.slice_util.isSliceContinous(x.shape, begin_, size_)) {
      const offset = tf.slice_util.computeFlatOffset(begin_, strides);
      outVals.set(xVals.subarray(offset, offset + tf.util.sizeFromShape(size_)));
      return out;
    }
    copyRegion(xVals, strides, outVals, begin_, size_);
    return out;
  };
}

/** Copies a strided region, one contiguous innermost row at a time. */
function copyRegion(
  x: tf.TypedArray,
  strides: number[],
  out: tf.TypedArray,
  begin: number[],
  size: number[],
): void {
  const rank = size.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const row = size[rank - 1]!;
  const rows = tf.util.sizeFromShape(size.slice(0, -1));
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let r = 0, outOffset = 0; r < rows; r++, outOffset += row) {
    let offset = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) offset += (begin[d]! + index[d]!) * strides[d]!;
    out.set(x.subarray(offset, offset + row), outOffset);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}

const OVERRIDES: Record<string, (original: KernelFunc) => KernelFunc> = {
  BatchMatMul: batchMatMulOverride,
  Slice: sliceOverride,
};

let originals: Map<string, tf.KernelConfig> | undefined;

/** Replaces the wasm backend's BatchMatMul and Slice with the faster versions above (idempotent). */
export function registerWasmKernelOverrides(): string[] {
  if (originals) return Object.keys(OVERRIDES);
  originals = new Map();
  for (const [name, make] of Object.entries(OVERRIDES)) {
    const config = tf.getKernel(name, 'wasm');
    if (!config) continue;
    originals.set(name, config);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: make(config.kernelFunc) });
  }
  return [...originals.keys()];
}

/** Restores tfjs's own kernels (used by the equivalence tests to compare both). */
export function unregisterWasmKernelOverrides(): void {
  if (!originals) return;
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  originals = undefined;
}
