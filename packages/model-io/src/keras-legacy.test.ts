import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { writeH5Bytes, type H5Group } from './h5';
import { importKeras } from './keras-import';
import { weightBytes } from './test-utils/models';

interface LegacyLayout {
  /** dataset name of a weight inside its layer group */
  weightName: (layer: string, variable: string) => string;
  /** 'A' = variable-length ASCII (tf.keras 2.5+, Keras 3); undefined = fixed-length (older Keras) */
  stringType?: 'A';
  /** group names differing from the config (Keras loads by position) */
  groupName?: (layer: string, index: number) => string;
  /** split layer_names into layer_names0, layer_names1 (what Keras does above 64 KB) */
  chunked?: boolean;
  /** Keras 3 writes an extra group that layer_names does not list */
  topLevelGroup?: boolean;
}

/** Writes `model` as a full-model legacy .h5 in a given writer's layout (variations seen in real Keras files). */
function legacyH5(model: tf.LayersModel, layout: LegacyLayout): Promise<Uint8Array> {
  const strings = (node: H5Group, name: string, values: string[]) => {
    if (values.length === 0) node.create_attribute(name, new Float64Array(0), [0], '<d');
    else node.create_attribute(name, values, [values.length], layout.stringType ?? `A${Math.max(...values.map((v) => v.length))}`);
  };
  return writeH5Bytes((h5) => {
    h5.create_attribute('keras_version', '3.13.2', null, 'A');
    h5.create_attribute('model_config', JSON.stringify(model.toJSON(null, false)), null, 'A');
    const root = h5.create_group('model_weights');
    const groups = model.layers.map((layer, i) => layout.groupName?.(layer.name, i) ?? layer.name);
    if (layout.chunked) {
      strings(root, 'layer_names0', groups.slice(0, 1));
      strings(root, 'layer_names1', groups.slice(1));
    } else {
      strings(root, 'layer_names', groups);
    }
    if (layout.topLevelGroup) strings(root.create_group('top_level_model_weights'), 'weight_names', []);
    model.layers.forEach((layer, i) => {
      const group = root.create_group(groups[i]!);
      const names = layer.weights.map((w) => layout.weightName(groups[i]!, w.originalName.split('/').pop()!));
      strings(group, 'weight_names', names);
      layer.weights.forEach((w, k) => {
        const parts = names[k]!.split('/');
        let target = group;
        for (const part of parts.slice(0, -1)) target = (target.get(part) as H5Group | null) ?? target.create_group(part);
        target.create_dataset({ name: parts[parts.length - 1]!, data: w.read().dataSync() as Float32Array, shape: w.shape as number[], dtype: '<f' });
      });
    });
  });
}

function model(): tf.Sequential {
  const m = tf.sequential({ name: 'MLP_MNIST' });
  m.add(tf.layers.dense({ units: 5, inputShape: [6], activation: 'relu', name: 'dense' }));
  m.add(tf.layers.dropout({ rate: 0.1, name: 'dropout' }));
  m.add(tf.layers.batchNormalization({ name: 'batch_normalization' }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'dense_1' }));
  return m;
}

describe('importKeras reads legacy .h5 by layer_names/weight_names, whatever the writer', () => {
  const layouts: [string, LegacyLayout][] = [
    ['Keras 1 (TF): flat "dense_W:0" names, fixed-length strings', { weightName: (l, v) => `${l}_${v}:0` }],
    ['Keras 2 / tf.keras: nested "<layer>/<var>:0", variable-length strings', { weightName: (l, v) => `${l}/${v}:0`, stringType: 'A' }],
    ['Keras 3 legacy h5: model name inserted, no ":0", extra top_level_model_weights', { weightName: (l, v) => `MLP_MNIST/${l}/${v}`, stringType: 'A', topLevelGroup: true }],
    ['Theano-era names without ":0"', { weightName: (l, v) => `${l}/${v}` }],
    ['group names that differ from the config (loaded by position)', { weightName: (l, v) => `${l}/${v}:0`, groupName: (_, i) => `layer_${i + 4}` }],
    ['layer_names split into layer_names0..N', { weightName: (l, v) => `${l}/${v}:0`, chunked: true }],
  ];
  it.each(layouts)('%s', async (_, layout) => {
    const source = model();
    const imported = await importKeras(await legacyH5(source, layout), { fileName: 'variant.h5' });
    expect(imported.layers.map((l) => l.name)).toEqual(source.layers.map((l) => l.name));
    expect(weightBytes(imported)).toEqual(weightBytes(source));
    imported.dispose();
    source.dispose();
  });

  it('a weight listed in weight_names but missing from the file is MODEL_WEIGHTS_INVALID', async () => {
    const source = model();
    const broken = await writeH5Bytes((h5) => {
      h5.create_attribute('model_config', JSON.stringify(source.toJSON(null, false)), null, 'A');
      const root = h5.create_group('model_weights');
      root.create_attribute('layer_names', ['dense'], [1], 'A5');
      root.create_group('dense').create_attribute('weight_names', ['dense/kernel:0', 'dense/bias:0'], [2], 'A14');
    });
    await expect(importKeras(broken, { fileName: 'broken.h5' })).rejects.toMatchObject({ code: 'MODEL_WEIGHTS_INVALID', file: 'broken.h5', message: expect.stringMatching(/dense\/dense\/kernel:0" is listed but not stored/) });
    source.dispose();
  });
});
