import type * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { joinWeightData, specByteLength } from './artifacts';

export type QuantizeDtype = 'float16' | 'uint8';

/**
 * Re-encodes the float32 model weights of saved artifacts as float16 or uint8 (affine per tensor:
 * value = q * scale + min). The manifest's `quantization` field is the one tfjs loaders understand,
 * so any tfjs loader dequantizes back to float32. Optimizer and non-float weights are kept as is.
 */
export function quantizeArtifacts(artifacts: tf.io.ModelArtifacts, dtype: QuantizeDtype): tf.io.ModelArtifacts {
  if (dtype !== 'float16' && dtype !== 'uint8') {
    throw new DigitsError('BAD_ARGUMENT', `quantize must be 'float16' or 'uint8', got ${JSON.stringify(dtype)}`);
  }
  const specs = artifacts.weightSpecs ?? [];
  const data = joinWeightData(artifacts.weightData ?? new ArrayBuffer(0));
  const parts: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const length = specByteLength(spec, 'weights');
    const bytes = new Uint8Array(data, offset, length);
    offset += length;
    if (spec.dtype !== 'float32' || spec.quantization != null || spec.group === 'optimizer') {
      parts.push(bytes);
      outSpecs.push(spec);
      continue;
    }
    const values = new Float32Array(bytes.slice().buffer);
    if (dtype === 'float16') {
      parts.push(new Uint8Array(toFloat16(values).buffer));
      outSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      const { quantized, min, scale } = toUint8(values);
      parts.push(quantized);
      outSpecs.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
    }
  }
  const total = parts.reduce((sum, p) => sum + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return { ...artifacts, weightSpecs: outSpecs, weightData: out.buffer };
}

/** Affine uint8 quantization over the tensor's [min, max] range. */
export function toUint8(values: Float32Array): { quantized: Uint8Array; min: number; scale: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return { quantized: new Uint8Array(0), min: 0, scale: 1 };
  const scale = max > min ? (max - min) / 255 : 1;
  const quantized = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) quantized[i] = Math.round((values[i]! - min) / scale);
  return { quantized, min, scale };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of each value, rounded to nearest even (Node 20 has no Math.f16round). */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]!);
  return out;
}

function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mantissa |= 0x800000; // subnormal half: shift in the implicit bit
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (half + (rest > midpoint || (rest === midpoint && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // Rounding may carry into the exponent, which is exactly the correct result (up to Inf).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0));
}
