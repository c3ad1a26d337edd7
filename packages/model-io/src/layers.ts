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

/** Builds an (initialized, uncompiled) model from a Keras-2-style topology. */
export function modelFromTopology(topology: Json): Promise<tf.LayersModel> {
  return tf.models.modelFromJSON({ modelTopology: topology } as Parameters<typeof tf.models.modelFromJSON>[0]);
}

/** Layers that own weights, in model order (what Keras' positional weight loading counts). */
export function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.weights.length > 0);
}
