import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { assertString, DigitsError } from '@digits/mnist-data';
import { readRegularFile } from '@digits/mnist-data/node';
import { joinWeightData, specByteLength } from '../artifacts';
import { MODEL_FILES } from '../owned-files';
import { withModelDirectory, type ModelDirectoryOptions } from './model-dir';
import { MAX_WEIGHT_BYTES, MODEL_LIMITS } from '../limits';

const MODEL_JSON = MODEL_FILES.model;

/**
 * A tfjs IOHandler for a model directory on the local file system (model.json + weights.bin),
 * without @tensorflow/tfjs-node. Saving goes through `ModelDirectory` (locked, atomic, only over a
 * directory of digits' own files, over an existing model only with `overwrite`); loading validates
 * the manifest and every weights path before any byte is handed to tfjs. `path` may also name the
 * model.json itself.
 */
export function fileSystemHandler(path: string, options: ModelDirectoryOptions = {}): tf.io.IOHandler {
  assertString(path, 'fileSystemHandler: path');
  const dir = modelDirectory(path);
  return {
    save: (artifacts) => withModelDirectory(dir, options, (target) => target.handler().save!(artifacts)),
    load: () => loadFromDirectory(dir),
  };
}

const modelDirectory = (path: string) => (basename(path) === MODEL_JSON ? dirname(path) : path);

/** The model.json of a model directory (or the path itself when it names the model.json). */
export const modelJsonPath = (path: string) => join(modelDirectory(path), MODEL_JSON);

async function loadFromDirectory(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = join(dir, MODEL_JSON);
  const modelJson = parseModelJson(await readModelFile(jsonPath, 'MODEL_NOT_FOUND', MODEL_LIMITS.maxJsonBytes), jsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  const realDir = await realpath(dir);
  for (const group of modelJson.weightsManifest) {
    let needed = 0;
    for (const spec of group.weights) needed += specByteLength(spec, jsonPath);
    if (needed > MAX_WEIGHT_BYTES) {
      throw new DigitsError('SHAPE_LIMIT', `the weightsManifest describes ${needed} bytes of weights, more than the ${MAX_WEIGHT_BYTES}-byte limit`, { file: jsonPath });
    }
    let have = 0;
    for (const path of group.paths) {
      const file = await safeWeightsPath(dir, realDir, path, jsonPath);
      // never more than the manifest describes (a larger file is refused unread)
      const bytes = await readModelFile(file, 'MODEL_WEIGHTS_INVALID', Math.max(0, needed - have));
      have += bytes.byteLength;
      buffers.push(bytes);
    }
    if (have !== needed) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weights file(s) ${group.paths.join(', ')} hold ${have} bytes but the manifest describes ${needed} bytes${have < needed ? ' (truncated?)' : ''}`, { file: join(dir, group.paths[0] ?? '') });
    }
    weightSpecs.push(...group.weights);
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology,
    weightSpecs,
    weightData: joinWeightData(buffers.map((b) => b.slice().buffer)),
  };
  for (const key of ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'userDefinedMetadata'] as const) {
    if (modelJson[key] != null) (artifacts as Record<string, unknown>)[key] = modelJson[key];
  }
  return artifacts;
}

function readModelFile(path: string, code: 'MODEL_NOT_FOUND' | 'MODEL_WEIGHTS_INVALID', maxBytes: number): Promise<Uint8Array> {
  return readRegularFile(path, { maxBytes, code, what: code === 'MODEL_NOT_FOUND' ? 'a model.json' : 'what the weightsManifest describes' });
}

function parseModelJson(bytes: Uint8Array, file: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new DigitsError('MODEL_INVALID', `not valid JSON: ${(cause as Error).message}`, { file, cause });
  }
  const modelJson = json as tf.io.ModelJSON;
  if (json == null || typeof json !== 'object' || Array.isArray(json) || modelJson.modelTopology == null) {
    throw new DigitsError('MODEL_INVALID', 'not a tfjs model.json: it has no modelTopology', { file });
  }
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest) || !manifest.every((g) => g != null && Array.isArray(g.paths) && g.paths.every((p) => typeof p === 'string') && Array.isArray(g.weights))) {
    throw new DigitsError('MODEL_INVALID', 'weightsManifest must be a list of { paths: string[], weights: [...] }', { file });
  }
  return modelJson;
}

/** Resolves a manifest path, refusing anything that leaves the model directory (../, absolute, URLs, symlinks out). */
async function safeWeightsPath(dir: string, realDir: string, path: string, file: string): Promise<string> {
  const unsafe = () => new DigitsError('UNSAFE_PATH', `weightsManifest path ${JSON.stringify(path)} points outside the model directory`, { file });
  if (path === '' || isAbsolute(path) || /^[a-z][a-z0-9+.-]*:/i.test(path) || path.split(/[\\/]/).includes('..')) throw unsafe();
  const resolved = join(dir, path);
  let real: string;
  try {
    real = await realpath(resolved);
  } catch (cause) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', 'weights file not found', { file: resolved, cause });
  }
  const rel = relative(realDir, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw unsafe();
  return resolved;
}
