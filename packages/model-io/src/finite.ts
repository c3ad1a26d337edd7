import type * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { joinWeightData, specByteLength } from './artifacts';

/**
 * A model with a NaN or an Infinity in any weight predicts NaN for every input (the CLI printed
 * "-1 (NaN%)", evaluate 8%), so such weights are refused when a model is loaded or imported, with
 * the tensor named. Integer and bool tensors cannot hold them; uint8/uint16-quantized weights are
 * finite whenever their min/scale are (checked by `specByteLength`).
 */
export function assertFiniteValues(values: ArrayLike<number>, tensor: string, file: string | undefined): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad === 0) return;
  throw new DigitsError(
    'MODEL_WEIGHTS_NOT_FINITE',
    `weight "${tensor}" holds ${bad} non-finite value${bad === 1 ? '' : 's'} (${String(values[first])} at index ${first}); a model with NaN or Infinity weights cannot give meaningful predictions`,
    file === undefined ? {} : { file },
  );
}

/** Checks every float tensor of validated tfjs artifacts (model and optimizer weights) before they are built. */
export function assertFiniteWeightData(artifacts: tf.io.ModelArtifacts, file: string): void {
  const data = joinWeightData(artifacts.weightData ?? new ArrayBuffer(0));
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const bytes = specByteLength(spec, file);
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    // copies keep the views aligned (a uint8 tensor before a float32 one shifts its offset)
    if (dtype === 'float32') assertFiniteValues(new Float32Array(data.slice(offset, offset + bytes)), spec.name, file);
    else if (dtype === 'float16') assertFiniteFloat16(new Uint16Array(data.slice(offset, offset + bytes)), spec.name, file);
    offset += bytes;
  }
}

/** float16 bits with all exponent bits set are Infinity (no mantissa) or NaN; everything else is finite. */
function assertFiniteFloat16(halves: Uint16Array, tensor: string, file: string): void {
  const special = (h: number) => ((h & 0x7c00) !== 0x7c00 ? 0 : h & 0x03ff ? NaN : h & 0x8000 ? -Infinity : Infinity);
  assertFiniteValues(Float32Array.from(halves, special), tensor, file);
}
