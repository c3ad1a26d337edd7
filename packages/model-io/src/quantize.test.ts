import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { toFloat16, toUint8 } from './quantize';

/** tfjs' own float16 decoder, reached through a quantized weight spec. */
function decodeFloat16(bits: Uint16Array): Float32Array {
  const spec = { name: 'w', shape: [bits.length], dtype: 'float32' as const, quantization: { dtype: 'float16' as const } };
  const { w } = tf.io.decodeWeights(bits.slice().buffer, [spec]);
  const values = w!.dataSync() as Float32Array;
  w!.dispose();
  return values;
}

describe('toFloat16', () => {
  it('re-encodes every one of the 65536 half-precision values tfjs decodes to the same bits', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const encoded = toFloat16(decodeFloat16(all));
    let mismatches = 0;
    for (let i = 0; i < all.length; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (isNaN ? (encoded[i]! & 0x7c00) !== 0x7c00 || (encoded[i]! & 0x3ff) === 0 : encoded[i] !== i) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rounds to nearest even, overflows to infinity and keeps subnormals', () => {
    const cases: [number, number][] = [
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway, ties to even (upwards)
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to zero: ties to even
      [3 * 2 ** -26, 0x0001],
      [-0, 0x8000],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -25, 0x0400], // rounds up out of the subnormals
    ];
    const encoded = toFloat16(Float32Array.from(cases.map(([v]) => v)));
    expect(Array.from(encoded)).toEqual(cases.map(([, bits]) => bits));
  });
});

describe('toUint8', () => {
  it('maps min to 0 and max to 255, with at most half a step of error', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.3 - 0.05);
    const { quantized, min, scale } = toUint8(values);
    expect(min).toBe(Math.min(...values));
    expect(quantized.includes(0) && quantized.includes(255)).toBe(true);
    values.forEach((v, i) => expect(Math.abs(quantized[i]! * scale + min - v)).toBeLessThanOrEqual(scale / 2 + 1e-7));
  });

  it('stores a constant tensor exactly', () => {
    const { quantized, min, scale } = toUint8(new Float32Array(5).fill(0.25));
    expect(Array.from(quantized, (q) => q * scale + min)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
  });
});
