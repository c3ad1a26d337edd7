import type * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';

type WeightsManifestEntry = tf.io.WeightsManifestEntry;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes one manifest entry occupies in the weight data (after quantization, if any). */
export function specByteLength(spec: WeightsManifestEntry, file: string): number {
  const size = elementCount(spec, file);
  if (spec.quantization != null) {
    const bytes = QUANTIZED_BYTES[spec.quantization.dtype];
    if (bytes === undefined) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${spec.name}" has unknown quantization dtype ${JSON.stringify(spec.quantization.dtype)}`, { file });
    }
    const { min, scale } = spec.quantization;
    if (spec.quantization.dtype !== 'float16' && !(Number.isFinite(min) && Number.isFinite(scale))) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${spec.name}" is ${spec.quantization.dtype}-quantized but has no finite min/scale`, { file });
    }
    if (spec.dtype !== 'float32') {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${spec.name}" is quantized but its dtype is ${spec.dtype}, not float32`, { file });
    }
    return size * bytes;
  }
  const bytes = DTYPE_BYTES[spec.dtype];
  if (bytes === undefined) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${spec.name}" has unsupported dtype ${JSON.stringify(spec.dtype)} (expected float32, int32 or bool)`, { file });
  }
  return size * bytes;
}

function elementCount(spec: WeightsManifestEntry, file: string): number {
  if (typeof spec.name !== 'string' || spec.name === '') {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', 'a weightsManifest entry has no name', { file });
  }
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${spec.name}" has an invalid shape ${JSON.stringify(spec.shape)}`, { file });
  }
  return spec.shape.reduce((a, b) => a * b, 1);
}

/** Total byte length of weight data as a single ArrayBuffer (tfjs may hand over several). */
export function joinWeightData(data: tf.io.WeightData): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  const total = data.reduce((sum, b) => sum + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/**
 * Checks model artifacts before anything is built from them: a topology object, weight specs with
 * known dtypes and sane shapes, unique names, and weight data exactly as long as the specs need.
 */
export function validateArtifacts(artifacts: tf.io.ModelArtifacts, file: string): void {
  if (artifacts.format === 'graph-model') {
    throw new DigitsError('UNSUPPORTED_FORMAT', 'this is a tfjs graph model (converted SavedModel); only layers models can be loaded', { file });
  }
  const topology = artifacts.modelTopology;
  if (topology == null || typeof topology !== 'object' || Array.isArray(topology) || topology instanceof ArrayBuffer) {
    throw new DigitsError('MODEL_INVALID', 'modelTopology is missing or not a Keras layers model (graph models are not supported)', { file });
  }
  const specs = artifacts.weightSpecs ?? [];
  if (!Array.isArray(specs)) throw new DigitsError('MODEL_WEIGHTS_INVALID', 'weightSpecs is not a list', { file });
  const names = new Set<string>();
  let needed = 0;
  for (const spec of specs) {
    needed += specByteLength(spec, file);
    if (names.has(spec.name)) throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${spec.name}" appears twice in the manifest`, { file });
    names.add(spec.name);
  }
  const have = artifacts.weightData == null ? 0 : joinWeightData(artifacts.weightData).byteLength;
  if (have !== needed) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `the weight data is ${have} bytes but the manifest describes ${needed} bytes${have < needed ? ' (truncated?)' : ''}`, { file });
  }
}
