import * as tf from '@tensorflow/tfjs';
import { zipSync, strToU8 } from 'fflate';
import { assertLayersModel, assertOneOf, DigitsError } from '@digits/mnist-data';
import { writeH5Bytes, type H5Group } from './h5';

export type KerasFormat = 'h5' | 'keras';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v != null && typeof v === 'object' && !Array.isArray(v);

/** The Keras versions whose layouts the exports follow (tf.keras 2 legacy h5; Keras 3 zip). */
export const KERAS2_VERSION = '2.15.0';
export const KERAS3_VERSION = '3.11.1';

/**
 * Exports a model for Python Keras: 'h5' is the tf.keras 2 full-model layout (model_config +
 * model_weights with layer_names/weight_names, float32, superblock v0) that `load_model` reads
 * (Keras 3 through its legacy h5 loader); 'keras' is the Keras 3 zip (metadata.json, config.json,
 * model.weights.h5). The optimizer state is not exported; the model loads uncompiled.
 */
export async function exportKeras(model: tf.LayersModel, format: KerasFormat): Promise<Uint8Array> {
  assertLayersModel(model, 'exportKeras: model');
  assertOneOf(format, ['h5', 'keras'] as const, 'exportKeras: format');
  return format === 'h5' ? exportH5(model) : exportZip(model);
}

function modelConfig(model: tf.LayersModel): Json {
  const config = model.toJSON(null, false) as Json;
  return { ...config, keras_version: KERAS2_VERSION, backend: 'tensorflow' };
}

/** Keras 2 weight names: "<layer>/<variable>:0", e.g. "dense_1/kernel:0". */
function weightShortName(layer: tf.layers.Layer, weight: tf.LayerVariable): string {
  const name = weight.originalName;
  return name.startsWith(`${layer.name}/`) ? name.slice(layer.name.length + 1) : name.slice(name.lastIndexOf('/') + 1);
}

function asciiArrayAttr(node: H5Group, name: string, values: string[]): void {
  if (values.length === 0) {
    // What Keras writes for an empty list: numpy's default float64, shape (0,).
    node.create_attribute(name, new Float64Array(0), [0], '<d');
    return;
  }
  const width = Math.max(1, ...values.map((v) => new TextEncoder().encode(v).length));
  node.create_attribute(name, values, [values.length], `A${width}`);
}

async function exportH5(model: tf.LayersModel): Promise<Uint8Array> {
  const config = JSON.stringify(modelConfig(model));
  return writeH5Bytes((h5) => {
    h5.create_attribute('backend', 'tensorflow', null, 'A');
    h5.create_attribute('keras_version', KERAS2_VERSION, null, 'A');
    h5.create_attribute('model_config', config, null, 'A');
    const weightsGroup = h5.create_group('model_weights');
    weightsGroup.create_attribute('backend', 'tensorflow', null, 'A');
    weightsGroup.create_attribute('keras_version', KERAS2_VERSION, null, 'A');
    asciiArrayAttr(weightsGroup, 'layer_names', model.layers.map((l) => l.name));
    for (const layer of model.layers) {
      const layerGroup = weightsGroup.create_group(layer.name);
      const names = layer.weights.map((w) => `${layer.name}/${weightShortName(layer, w)}:0`);
      asciiArrayAttr(layerGroup, 'weight_names', names);
      if (layer.weights.length === 0) continue;
      const inner = layerGroup.create_group(layer.name);
      layer.weights.forEach((weight, i) => {
        const path = names[i]!.slice(layer.name.length + 1).split('/');
        let group = inner;
        for (const part of path.slice(0, -1)) group = (group.get(part) as H5Group | null) ?? group.create_group(part);
        group.create_dataset({ name: path[path.length - 1]!, data: weightValues(weight), shape: weight.shape as number[], dtype: '<f' });
      });
    }
  });
}

function weightValues(weight: tf.LayerVariable): Float32Array {
  const values = weight.read().dataSync();
  if (!(values instanceof Float32Array)) throw new DigitsError('BAD_ARGUMENT', `weight ${weight.originalName} is ${weight.dtype}; only float32 weights can be exported`);
  return values;
}

async function exportZip(model: tf.LayersModel): Promise<Uint8Array> {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const weights = await writeH5Bytes((h5) => {
    const container = h5.create_group('layers');
    for (const layer of layers) {
      const vars = container.create_group(layer.name).create_group('vars');
      vars.create_attribute('name', layer.name);
      layer.weights.forEach((weight, i) => vars.create_dataset({ name: String(i), data: weightValues(weight), shape: weight.shape as number[], dtype: '<f' }));
    }
    h5.create_group('vars').create_attribute('name', model.name);
  });
  const stamp = new Date().toISOString();
  const metadata = { keras_version: KERAS3_VERSION, date_saved: `${stamp.slice(0, 10)}@${stamp.slice(11, 19)}` };
  const store = { level: 0 as const, mtime: new Date(1980, 0, 1) };
  return zipSync({
    'metadata.json': [strToU8(JSON.stringify(metadata)), store],
    'config.json': [strToU8(JSON.stringify(keras3ModelConfig(model))), store],
    'model.weights.h5': [weights, store],
  });
}

/** tfjs' Keras-2 style config in the Keras 3 dialect: module/registered_name, InputLayer with batch_shape. */
function keras3ModelConfig(model: tf.LayersModel): Json {
  const { class_name: className, config } = model.toJSON(null, false) as { class_name: string; config: Json };
  const layers = (config['layers'] as Json[]).map(keras3Layer);
  if (className === 'Sequential') {
    const first = layers[0]?.['config'] as Json | undefined;
    if (first && first['batch_input_shape'] != null) {
      const inputName = layers.some((l) => (l['config'] as Json)['name'] === 'input_layer') ? `${model.name}_input` : 'input_layer';
      layers.unshift(keras3Object('keras.layers', 'InputLayer', { batch_shape: first['batch_input_shape'], dtype: first['dtype'] ?? 'float32', sparse: false, name: inputName }));
      delete first['batch_input_shape'];
    }
  }
  return keras3Object('keras', className === 'Model' ? 'Functional' : className, { ...config, layers });
}

function keras3Layer(layer: Json): Json {
  const config = keras3Values(layer['config'] as Json) as Json;
  if (layer['class_name'] === 'InputLayer' && config['batch_input_shape'] != null) {
    config['batch_shape'] = config['batch_input_shape'];
    delete config['batch_input_shape'];
  }
  const out = keras3Object('keras.layers', String(layer['class_name']), config);
  for (const key of ['name', 'inbound_nodes'] as const) if (layer[key] !== undefined) out[key] = layer[key];
  return out;
}

function keras3Values(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => keras3Values(v));
  if (!isObject(value)) return value;
  if (typeof value['class_name'] === 'string' && isObject(value['config'])) {
    const module = key.endsWith('_initializer') ? 'keras.initializers' : key.endsWith('_regularizer') ? 'keras.regularizers' : key.endsWith('_constraint') ? 'keras.constraints' : 'keras';
    const config = keras3Values(value['config']) as Json;
    // Keras 3 VarianceScaling accepts truncated_normal, not Keras 2's alias 'normal' (tfjs' 'normal' is truncated too).
    if (value['class_name'] === 'VarianceScaling' && config['distribution'] === 'normal') config['distribution'] = 'truncated_normal';
    return keras3Object(module, value['class_name'], config);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keras3Values(v, k)]));
}

function keras3Object(module: string, className: string, config: Json): Json {
  return { module, class_name: className, config, registered_name: null };
}
