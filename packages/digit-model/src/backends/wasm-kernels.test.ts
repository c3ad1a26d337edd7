import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernelOverrides, unregisterWasmKernelOverrides } from './wasm-kernels';
import { activateWasm } from './wasm';
import { createRng } from '@digits/mnist-data';

/** Runs `f` on a backend with fresh inputs made from the same numbers; returns the values. */
async function on(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => f().dataSync() as Float32Array);
}

function values(shape: number[], seed: number): tf.Tensor {
  const random = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => random() * 2 - 1), shape);
}

/** Largest difference <= tolerance; 'relative' scales it by max(1, |expected|) for long sums. */
function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-4, mode: 'absolute' | 'relative' = 'absolute'): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const scale = mode === 'relative' ? Math.max(1, Math.abs(expected[i]!)) : 1;
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / scale);
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

beforeAll(async () => {
  await activateWasm();
});

afterAll(() => {
  registerWasmKernelOverrides();
});

describe('wasm kernel overrides', () => {
  it('replace BatchMatMul, Slice, Conv2DBackpropInput and MaxPoolGrad, and add Conv2DBackpropFilter', () => {
    expect(registerWasmKernelOverrides()).toEqual(['BatchMatMul', 'Slice', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Conv2DBackpropFilter']);
  });

  const matmuls: [string, number[], number[], boolean, boolean][] = [
    ['Dense forward', [128, 784], [784, 512], false, false],
    ['Dense input gradient (b transposed)', [128, 512], [784, 512], false, true],
    ['Dense kernel gradient (a transposed)', [128, 784], [128, 512], true, false],
    ['both transposed', [33, 17], [9, 33], true, true],
    ['batched, transposed', [3, 20, 7], [3, 11, 20], true, true],
    ['broadcast batch, b transposed', [4, 6, 5], [8, 5], false, true],
  ];
  for (const [name, aShape, bShape, ta, tb] of matmuls) {
    it(`BatchMatMul matches the cpu backend to 1e-4: ${name}`, async () => {
      const f = () => tf.matMul(values(aShape, 1), values(bShape, 2), ta, tb);
      expectClose(await on('wasm', f), await on('cpu', f));
    });
  }

  it('gives the gradients of a Dense layer that the cpu backend gives', async () => {
    const f = () => {
      const x = values([64, 100], 3);
      const w = values([100, 30], 4);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.relu(tf.matMul(a, b)).square().sum())([x, w]);
      return tf.concat(grads.map((g) => g.flatten()));
    };
    expectClose(await on('wasm', f), await on('cpu', f), 1e-3);
  });

  const slices: [string, number[], number[], number[]][] = [
    ['rows of a matrix (contiguous)', [10, 784], [3, 0], [4, 784]],
    ['a column block', [10, 12], [2, 5], [6, 4]],
    ['a 3D window', [4, 5, 6], [1, 2, 3], [2, 3, 2]],
    ['a 4D window', [3, 4, 5, 6], [1, 0, 2, 1], [2, 3, 2, 4]],
    ['a 5D window', [2, 3, 4, 3, 2], [1, 1, 0, 1, 0], [1, 2, 3, 2, 2]],
    ['to the end (-1)', [6, 7], [2, 3], [-1, -1]],
  ];
  for (const [name, shape, begin, size] of slices) {
    it(`Slice matches the cpu backend exactly: ${name}`, async () => {
      const f = () => tf.slice(values(shape, 5), begin, size);
      const expected = await on('cpu', f);
      expect(Array.from(await on('wasm', f))).toEqual(Array.from(expected));
    });
  }

  it('Slice of int32 data and of an empty region', async () => {
    const f = () => tf.slice(tf.range(0, 24, 1, 'int32').reshape([4, 6]), [1, 2], [2, 3]);
    expect(Array.from(await on('wasm', f))).toEqual([8, 9, 10, 14, 15, 16]);
    expect((await on('wasm', () => tf.slice(tf.zeros([3, 3]), [1, 1], [0, 2]))).length).toBe(0);
  });

  const convs: [string, number[], number[], number, 'valid' | 'same'][] = [
    ['3x3 valid, the CNN first layer', [4, 28, 28, 1], [3, 3, 1, 8], 1, 'valid'],
    ['3x3 valid, many channels', [2, 13, 13, 16], [3, 3, 16, 12], 1, 'valid'],
    ['5x5 same padding, stride 2', [3, 11, 9, 3], [5, 5, 3, 4], 2, 'same'],
    ['1x1 stride 1', [2, 6, 6, 5], [1, 1, 5, 7], 1, 'same'],
  ];
  for (const [name, xShape, filterShape, stride, pad] of convs) {
    it(`conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput) match the cpu backend: ${name}`, async () => {
      const f = () => {
        const x = values(xShape, 11);
        const w = values(filterShape, 12);
        const dy = values(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad).shape, 13);
        const loss = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad).mul(dy).sum();
        return tf.concat(tf.grads(loss)([x, w]).map((g) => g.flatten()));
      };
      expectClose(await on('wasm', f), await on('cpu', f), 1e-4, 'relative');
    });
  }

  const pools: [string, number[], number, number, 'valid' | 'same'][] = [
    ['2x2 after ReLU (ties at 0)', [3, 26, 26, 4], 2, 2, 'valid'],
    ['2x2 odd size', [2, 11, 11, 5], 2, 2, 'valid'],
    ['3x3 stride 2 same', [2, 9, 7, 3], 3, 2, 'same'],
  ];
  for (const [name, shape, size, stride, pad] of pools) {
    it(`MaxPoolGrad matches the cpu backend: ${name}`, async () => {
      const f = () => {
        const x = tf.relu(values(shape, 14));
        const dy = values(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 15);
        return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, stride, pad).mul(dy).sum())(x);
      };
      expectClose(await on('wasm', f), await on('cpu', f));
    });
  }

  it('agree with the stock wasm kernels they replace', async () => {
    await tf.setBackend('wasm');
    const f = () => tf.concat([tf.matMul(values([40, 30], 6), values([20, 30], 7), false, true).flatten(), tf.slice(values([9, 9], 8), [2, 3], [5, 4]).flatten()]);
    const overridden = tf.tidy(() => f().dataSync() as Float32Array);
    unregisterWasmKernelOverrides();
    const stock = tf.tidy(() => f().dataSync() as Float32Array);
    registerWasmKernelOverrides();
    expectClose(overridden, stock);
  });

  it('leak no tensors or wasm memory', async () => {
    await tf.setBackend('wasm');
    const a = values([50, 40], 9);
    const b = values([30, 40], 10);
    const before = { ...tf.memory(), dataIds: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 5; i++) tf.tidy(() => void [tf.matMul(a, b, false, true), tf.matMul(a, a, true, false).slice([1, 1], [3, 3])]);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(before.dataIds);
  });
});
