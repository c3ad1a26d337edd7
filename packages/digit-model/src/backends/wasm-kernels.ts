import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Kernel overrides for tfjs-backend-wasm 4.22, registered in place of its own:
 * - BatchMatMul takes XNNPACK's fast path only without transposes, and Dense's backward pass
 *   multiplies by transposed operands, which falls back to a scalar loop. We transpose the operand
 *   first (a cheap copy) and run the untransposed, fast product.
 * - Slice reads the whole input out of the wasm heap (a full copy) for every call, so slicing
 *   batches out of a large tensor is quadratic. We copy only the requested region from a heap view.
 * - Conv2DBackpropInput and MaxPoolGrad are scalar loops; ours use one matmul + col2im, and a
 *   single pass over the windows.
 * And one kernel it lacks, without which no convnet trains on wasm:
 * - Conv2DBackpropFilter (the filter gradient), as im2col followed by one fast matmul.
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

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

type Shape4 = [number, number, number, number];

/** NHWC convolution geometry, and the im2col matrix it implies: one row per output position. */
function im2colGeometry(
  inputShape: Shape4,
  filterShape: Shape4,
  strides: Conv2DBackpropFilterAttrs['strides'],
  pad: Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode: Conv2DBackpropFilterAttrs['dimRoundingMode'],
): { info: tf.backend_util.Conv2DInfo; rows: number; cols: number } {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  return {
    info,
    rows: info.batchSize * info.outHeight * info.outWidth,
    cols: info.filterHeight * info.filterWidth * info.inChannels,
  };
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  const wasm = backend as BackendWasm;
  const { info, rows, cols } = im2colGeometry(x.shape as Shape4, filterShape, strides, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  // im2col: one row per output position, holding the input patch it saw (zeros where padded).
  const patches = wasm.makeOutput([rows, cols], 'float32');
  const xVals = wasm.typedArrayFromHeap(x);
  const pVals = wasm.typedArrayFromHeap(patches);
  for (let b = 0, row = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, row++) {
        let at = row * cols;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - info.padInfo.top + kh;
          for (let kw = 0; kw < filterWidth; kw++, at += inChannels) {
            const iw = ow * strideWidth - info.padInfo.left + kw;
            if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) {
              for (let c = 0; c < inChannels; c++) pVals[at + c] = 0;
            } else {
              const from = ((b * inHeight + ih) * inWidth + iw) * inChannels;
              for (let c = 0; c < inChannels; c++) pVals[at + c] = xVals[from + c]!;
            }
          }
        }
      }
    }
  }
  const dy2 = kernelOf('Reshape')({ inputs: { x: dy }, backend, attrs: { shape: [rows, outChannels] } }) as TensorInfo;
  try {
    const out = kernelOf('BatchMatMul')({
      inputs: { a: patches, b: dy2 },
      backend,
      attrs: { transposeA: true, transposeB: false },
    }) as TensorInfo;
    out.shape = [...filterShape];
    return out;
  } finally {
    wasm.disposeData(patches.dataId);
    wasm.disposeData(dy2.dataId);
  }
};

interface Conv2DBackpropInputAttrs extends Omit<Conv2DBackpropFilterAttrs, 'filterShape'> {
  inputShape: [number, number, number, number];
}

/**
 * The input gradient as one fast matmul (dy x filter^T gives each output position's patch
 * gradient) followed by col2im, which adds the patches back into place. The stock kernel is a
 * scalar loop, ~10x slower on the CNN's second convolution.
 */
function conv2DBackpropInputOverride(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    if (dataFormat !== 'NHWC') return original({ inputs, backend, attrs });
    const wasm = backend as BackendWasm;
    const { info, rows, cols } = im2colGeometry(inputShape, filter.shape as Shape4, strides, pad, dimRoundingMode);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const reshape = kernelOf('Reshape');
    const dy2 = reshape({ inputs: { x: dy }, backend, attrs: { shape: [rows, outChannels] } }) as TensorInfo;
    const w2 = reshape({ inputs: { x: filter }, backend, attrs: { shape: [cols, outChannels] } }) as TensorInfo;
    let patches: TensorInfo | undefined;
    try {
      patches = kernelOf('BatchMatMul')({
        inputs: { a: dy2, b: w2 },
        backend,
        attrs: { transposeA: false, transposeB: true },
      }) as TensorInfo;
      const out = wasm.makeOutput([...inputShape], 'float32');
      const pVals = wasm.typedArrayFromHeap(patches);
      const dx = wasm.typedArrayFromHeap(out);
      dx.fill(0);
      // col2im: the same walk as Conv2DBackpropFilter's im2col, written out on purpose: a shared
      // walker (a callback per pixel, or a cached index table) made a CNN epoch 6-15% slower
      for (let b = 0, row = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          for (let ow = 0; ow < outWidth; ow++, row++) {
            let at = row * cols;
            for (let kh = 0; kh < filterHeight; kh++) {
              const ih = oh * strideHeight - info.padInfo.top + kh;
              for (let kw = 0; kw < filterWidth; kw++, at += inChannels) {
                const iw = ow * strideWidth - info.padInfo.left + kw;
                if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue;
                const to = ((b * inHeight + ih) * inWidth + iw) * inChannels;
                for (let c = 0; c < inChannels; c++) dx[to + c]! += pVals[at + c]!;
              }
            }
          }
        }
      }
      return out;
    } finally {
      wasm.disposeData(dy2.dataId);
      wasm.disposeData(w2.dataId);
      if (patches) wasm.disposeData(patches.dataId);
    }
  };
}

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Routes each output gradient to the first maximum of its window (the cpu backend's rule); the
 * stock wasm kernel is a slow scalar loop.
 */
function maxPoolGradOverride(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    if (input.shape.length !== 4 || input.dtype !== 'float32') return original({ inputs, backend, attrs });
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
    const wasm = backend as BackendWasm;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
    const out = wasm.makeOutput([...input.shape], 'float32');
    const x = wasm.typedArrayFromHeap(input);
    const g = wasm.typedArrayFromHeap(dy);
    const dx = wasm.typedArrayFromHeap(out);
    dx.fill(0);
    for (let b = 0, o = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        const top = oh * info.strideHeight - info.padInfo.top;
        for (let ow = 0; ow < outWidth; ow++) {
          const left = ow * info.strideWidth - info.padInfo.left;
          for (let c = 0; c < inChannels; c++, o++) {
            let best = -Infinity;
            let at = -1;
            for (let ih = Math.max(0, top); ih < Math.min(inHeight, top + filterHeight); ih++) {
              for (let iw = Math.max(0, left); iw < Math.min(inWidth, left + filterWidth); iw++) {
                const i = ((b * inHeight + ih) * inWidth + iw) * inChannels + c;
                if (x[i]! > best) {
                  best = x[i]!;
                  at = i;
                }
              }
            }
            if (at >= 0) dx[at]! += g[o]!;
          }
        }
      }
    }
    return out;
  };
}

const OVERRIDES: Record<string, (original: KernelFunc) => KernelFunc> = {
  BatchMatMul: batchMatMulOverride,
  Slice: sliceOverride,
  Conv2DBackpropInput: conv2DBackpropInputOverride,
  MaxPoolGrad: maxPoolGradOverride,
};
const ADDITIONS: Record<string, KernelFunc> = { Conv2DBackpropFilter: conv2DBackpropFilter };

let originals: Map<string, tf.KernelConfig> | undefined;
let added: string[] = [];

/**
 * Replaces the wasm backend's BatchMatMul and Slice with the faster versions above and adds the
 * kernels it lacks (idempotent). Returns the names of the kernels it replaced and added.
 */
export function registerWasmKernelOverrides(): string[] {
  if (!originals) {
    originals = new Map();
    for (const [name, make] of Object.entries(OVERRIDES)) {
      const config = tf.getKernel(name, 'wasm');
      if (!config) continue;
      originals.set(name, config);
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel({ ...config, kernelFunc: make(config.kernelFunc) });
    }
    added = Object.keys(ADDITIONS).filter((name) => !tf.getKernel(name, 'wasm'));
    for (const name of added) tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: ADDITIONS[name]! });
  }
  return [...originals.keys(), ...added];
}

/** Restores tfjs's own kernels (used by the equivalence tests to compare both). */
export function unregisterWasmKernelOverrides(): void {
  if (!originals) return;
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  for (const name of added) tf.unregisterKernel(name, 'wasm');
  originals = undefined;
  added = [];
}
