import type * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { joinWeightData } from '../artifacts';
import { MODEL_FILES } from '../owned-files';
import { writeDirectoryAtomic } from './atomic-dir';

/**
 * Writes tfjs artifacts as model.json + weights.bin into `dir`, atomically (see writeDirectoryAtomic);
 * `guard` may refuse what is there. Callers: `ModelDirectory`, which holds the lock.
 */
export async function saveToDirectory(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
  guard: Parameters<typeof writeDirectoryAtomic>[2],
  label = dir,
): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new DigitsError('BAD_ARGUMENT', 'only layers models can be saved (this is a binary graph topology)', { file: label });
  }
  const weightData = new Uint8Array(joinWeightData(artifacts.weightData ?? new ArrayBuffer(0)));
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology!,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? 'TensorFlow.js',
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata != null) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  const json = JSON.stringify(modelJson);
  await writeDirectoryAtomic(dir, { [MODEL_FILES.model]: json, [MODEL_FILES.weights]: weightData }, guard, label);
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: json.length,
      weightSpecsBytes: JSON.stringify(modelJson.weightsManifest).length,
      weightDataBytes: weightData.byteLength,
    },
  };
}
