import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';

type Json = Record<string, unknown>;

const CONTAINER_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** The layer configs of a Keras/tfjs model config: Keras 1/2 Sequential stores a bare list. */
export function layerConfigs(modelConfig: Json): Json[] {
  const config = modelConfig['config'];
  if (Array.isArray(config)) return config as Json[];
  const layers = (config as Json | undefined)?.['layers'];
  return Array.isArray(layers) ? (layers as Json[]) : [];
}

/** Throws UNSUPPORTED_LAYER for the first layer class TensorFlow.js cannot build (nested models included). */
export function assertLayersSupported(modelConfig: Json, file: string): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const layer of layerConfigs(modelConfig)) {
    const className = String(layer['class_name']);
    if (CONTAINER_CLASSES.has(className)) {
      assertLayersSupported(layer, file);
      continue;
    }
    if (!(className in registered)) {
      const name = (layer['config'] as Json | undefined)?.['name'];
      throw new DigitsError('UNSUPPORTED_LAYER', `unsupported layer ${className}${name ? ` ("${String(name)}")` : ''}: TensorFlow.js has no implementation of it`, { file });
    }
  }
}

/**
 * Builds an (initialized, uncompiled) model from a Keras-2-style topology. tfjs deserializes and
 * builds synchronously inside modelFromJSON, so that part runs in a tidy: a build that fails
 * part-way (a bad value in the fifth layer) frees the initial values it had made, and the
 * variables of the layers before it are disposed, so a rejected file leaks no memory. (Weights
 * are variables, which tidy keeps; layers dispose their initial values themselves.)
 */
export async function modelFromTopology(topology: Json): Promise<tf.LayersModel> {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  let pending!: Promise<tf.LayersModel>;
  tf.tidy(() => {
    pending = tf.models.modelFromJSON({ modelTopology: topology } as Parameters<typeof tf.models.modelFromJSON>[0]);
  });
  try {
    return await pending;
  } catch (error) {
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) variable.dispose();
    throw error;
  }
}

/** Layers that own weights, in model order (what Keras' positional weight loading counts). */
export function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.weights.length > 0);
}
