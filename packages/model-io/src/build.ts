import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { joinWeightData } from './artifacts';
import { assertConfigBounds } from './config-bounds';
import { assertLayersSupported, modelFromTopology } from './layers';

type Json = Record<string, unknown>;

/** Builds a layers model from tfjs-format artifacts (already validated), checking every weight's shape first. */
export async function buildModel(artifacts: tf.io.ModelArtifacts, file: string): Promise<tf.LayersModel> {
  let topology = artifacts.modelTopology as Json;
  if (topology['model_config'] != null) topology = topology['model_config'] as Json;
  assertLayersSupported(topology, file);
  // building allocates every weight the config names: it must fit what the manifest stores
  const stored = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer').reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  assertConfigBounds(topology, stored, file);
  let model: tf.LayersModel;
  try {
    model = await modelFromTopology(topology);
  } catch (cause) {
    throw new DigitsError('MODEL_INVALID', `the model topology could not be built: ${(cause as Error).message}`, { file, cause });
  }
  try {
    await loadWeightsInto(model, artifacts, file);
    if (artifacts.userDefinedMetadata != null) model.setUserDefinedMetadata(artifacts.userDefinedMetadata);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

async function loadWeightsInto(model: tf.LayersModel, artifacts: tf.io.ModelArtifacts, file: string): Promise<void> {
  const specs = artifacts.weightSpecs ?? [];
  const modelSpecs = new Map(specs.filter((s) => s.group !== 'optimizer').map((s) => [s.name, s]));
  for (const weight of model.weights) {
    const spec = modelSpecs.get(weight.originalName);
    if (spec === undefined) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `the manifest has no weight "${weight.originalName}" that the model needs`, { file });
    }
    if (!sameShape(spec.shape, weight.shape)) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${weight.originalName}" has shape [${spec.shape.join(', ')}] in the manifest but the model expects [${weight.shape.join(', ')}]`, { file });
    }
    // dequantized weights come back as float32, so the stored dtype is what counts
    if (spec.dtype !== weight.dtype) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${weight.originalName}" is stored as ${spec.dtype} in the manifest but the model's variable is ${weight.dtype}`, { file });
    }
    modelSpecs.delete(weight.originalName);
  }
  if (modelSpecs.size > 0) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `the manifest has weights the model does not use: ${[...modelSpecs.keys()].join(', ')}`, { file });
  }
  if (artifacts.trainingConfig != null) model.loadTrainingConfig(artifacts.trainingConfig as Parameters<tf.LayersModel['loadTrainingConfig']>[0]);
  const named = tf.io.decodeWeights(joinWeightData(artifacts.weightData ?? new ArrayBuffer(0)), specs);
  try {
    const modelWeights: tf.NamedTensorMap = {};
    const optimizerWeights: { name: string; tensor: tf.Tensor }[] = [];
    for (const spec of specs) {
      if (spec.group === 'optimizer') optimizerWeights.push({ name: spec.name, tensor: named[spec.name]! });
      else modelWeights[spec.name] = named[spec.name]!;
    }
    model.loadWeights(modelWeights, true);
    if (optimizerWeights.length > 0) {
      if (model.optimizer == null) {
        throw new DigitsError('MODEL_WEIGHTS_INVALID', 'the file has optimizer weights but no training config to build the optimizer from', { file });
      }
      await model.optimizer.setWeights(optimizerWeights);
    }
  } finally {
    tf.dispose(named);
  }
}

export function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
