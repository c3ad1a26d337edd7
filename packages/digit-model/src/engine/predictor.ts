import type * as tf from '@tensorflow/tfjs';
import { Engine } from './engine';
import { readMlpLayers, type MlpLayers } from './mlp-spec';
import { configuredThreads } from './session';

/** Samples per engine pass (split between the threads). */
const CHUNK = 1024;

let enabled = false;
interface CachedEngine {
  key: string;
  engine: Engine;
  /** The dataIds of the weights it holds. */
  weights: object[];
}

let cached: CachedEngine | undefined;
let unavailable: string | undefined;

/** Makes `predictProbabilities`, `predictClasses` and `evaluate` run supported MLPs in the engine. */
export function enableEnginePrediction(): void {
  enabled = true;
}

/** Back to tfjs for prediction; frees the engine's memory and threads. */
export function disableEnginePrediction(): void {
  enabled = false;
  void cached?.engine.dispose();
  cached = undefined;
}

/** Why prediction would not run in the engine for this model, or undefined when it would. */
export function enginePredictionProblem(model: tf.LayersModel): string | undefined {
  if (!enabled) return 'engine prediction is not enabled (select the engine backend)';
  if (unavailable) return unavailable;
  const layers = readMlpLayers(model);
  return typeof layers === 'string' ? layers : undefined;
}

/**
 * Probabilities (count x classes) of the model on `count` samples of bytes (pixel values, scaled
 * by 1/255) or floats, computed by the engine with the model's current weights; undefined when the
 * engine does not apply (see `enginePredictionProblem`), so that the caller uses tfjs.
 */
export function predictWithEngine(model: tf.LayersModel, input: Uint8Array | Float32Array, count: number): Float32Array | undefined {
  if (!enabled || unavailable) return undefined;
  const layers = readMlpLayers(model);
  if (typeof layers === 'string') return undefined;
  let entry: CachedEngine;
  try {
    entry = engineFor(layers);
  } catch (error) {
    // e.g. a browser page, which may not compile wasm synchronously: tfjs predicts instead
    unavailable = `the engine could not start here: ${(error as Error).message}`;
    return undefined;
  }
  loadWeights(entry, layers);
  return entry.engine.predict(input, count);
}

/**
 * Copies the model's weights into the engine unless it holds them already: tfjs never changes a
 * tensor's data in place, so a variable that was trained or set has a new dataId.
 */
function loadWeights(entry: CachedEngine, layers: MlpLayers): void {
  const { engine } = entry;
  const weights = layers.dense.flatMap((layer) => layer.getWeights());
  const ids = weights.map((w) => w.dataId);
  if (entry.weights.length === ids.length && ids.every((id, i) => id === entry.weights[i])) return;
  layers.dense.forEach((_, l) => {
    const inputs = l === 0 ? layers.inputSize : layers.units[l - 1]!;
    engine.write(l, 'W', weights[2 * l]!.dataSync() as Float32Array, inputs, layers.units[l]!);
    engine.write(l, 'b', weights[2 * l + 1]!.dataSync() as Float32Array, inputs, layers.units[l]!);
  });
  engine.commitWeights();
  entry.weights = ids;
}

function engineFor(layers: MlpLayers): CachedEngine {
  const threads = configuredThreads();
  const key = `${layers.inputSize}:${layers.units.join(',')}:${threads}`;
  if (cached?.key === key) return cached;
  void cached?.engine.dispose();
  cached = undefined;
  const engine = Engine.createSync({
    shape: { inputSize: layers.inputSize, units: layers.units, dropout: layers.units.map(() => 0) },
    batchSize: CHUNK,
    samples: CHUNK,
    threads,
    adam: { learningRate: 0, beta1: 0, beta2: 0, epsilon: 0 },
    prediction: true,
  });
  cached = { key, engine, weights: [] };
  return cached;
}
