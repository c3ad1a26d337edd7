import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '@digits/mnist-data';
import { createMlp } from '@digits/model';
import { isGroup, readStringAttr, readStringList, withH5Bytes, writeH5Bytes, type H5Group } from './h5';
import { exportKeras } from './keras-export';
import { importKeras } from './keras-import';
import { readFixture } from './test-utils/fixtures';
import { inputs, mnist, predictArray, smallFunctionalCnn, smallMlp, trainBriefly, weightBytes } from './test-utils/models';

let data: Dataset;
let mlp: tf.Sequential;
let cnn: tf.LayersModel;

beforeAll(async () => {
  data = await mnist();
  mlp = smallMlp();
  await trainBriefly(mlp, data.train);
  cnn = smallFunctionalCnn();
  await trainBriefly(cnn, data.train, 256, [28, 28, 1]);
});
afterAll(() => {
  mlp.dispose();
  cnn.dispose();
});

/** Attribute name -> h5wasm dtype string, for layout comparisons. */
function attrTypes(node: H5Group): Record<string, string> {
  return Object.fromEntries(Object.entries(node.attrs).map(([name, attr]) => [name, JSON.stringify(attr.dtype)]));
}

describe.each(['h5', 'keras'] as const)('exportKeras(model, %j) -> importKeras', (format) => {
  it('round-trips a trained Sequential MLP bit for bit, with identical predictions', async () => {
    const bytes = await exportKeras(mlp, format);
    const imported = await importKeras(bytes, { fileName: `mlp.${format}` });
    expect(imported.layers.map((l) => [l.name, l.getClassName()])).toEqual(mlp.layers.map((l) => [l.name, l.getClassName()]));
    expect(weightBytes(imported)).toEqual(weightBytes(mlp));
    const x = inputs(data.test, 300);
    expect(predictArray(imported, x)).toEqual(predictArray(mlp, x));
    x.dispose();
    imported.dispose();
  });

  it('round-trips a functional CNN with batch normalization (moving statistics included)', async () => {
    const bytes = await exportKeras(cnn, format);
    const imported = await importKeras(bytes, { fileName: `cnn.${format}` });
    expect(weightBytes(imported)).toEqual(weightBytes(cnn));
    const x = inputs(data.test, 100, [28, 28, 1]);
    expect(predictArray(imported, x)).toEqual(predictArray(cnn, x));
    x.dispose();
    imported.dispose();
  });
});

describe('the tutorial MLP of @digits/model (Activation layers, seeded Dropout)', () => {
  it.each(['h5', 'keras'] as const)('survives %s export and import bit for bit', async (format) => {
    const tutorial = createMlp({ seed: 4, hiddenUnits: [16, 16] }); // the tutorial's layers, smaller
    const imported = await importKeras(await exportKeras(tutorial, format), { fileName: `tutorial.${format}` });
    expect(imported.layers.map((l) => l.name)).toEqual(tutorial.layers.map((l) => l.name));
    expect(imported.countParams()).toBe(784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10);
    expect(weightBytes(imported)).toEqual(weightBytes(tutorial));
    const x = inputs(data.test, 50);
    expect(predictArray(imported, x)).toEqual(predictArray(tutorial, x));
    x.dispose();
    imported.dispose();
    tutorial.dispose();
  });
});

describe('the .h5 export has the tf.keras 2 layout', () => {
  it('matches LAYOUT.md "what a JS writer should emit" and the real tf.keras 2.1.6 file', async () => {
    const bytes = await exportKeras(mlp, 'h5');
    expect(bytes[8]).toBe(0); // superblock version 0, as h5py/Keras write
    const ours = await withH5Bytes(bytes, 'ours.h5', (h5) => {
      const weights = h5.get('model_weights') as H5Group;
      const dense = weights.get('dense_1') as H5Group;
      const kernel = dense.get('dense_1/kernel:0') as unknown as { dtype: string; shape: number[] };
      return {
        rootAttrs: attrTypes(h5),
        weightsAttrs: attrTypes(weights),
        layerNames: readStringList(weights, 'layer_names'),
        denseWeightNames: readStringList(dense, 'weight_names'),
        denseAttrType: attrTypes(dense)['weight_names'],
        dropoutAttrType: attrTypes(weights.get('dropout_1') as H5Group)['weight_names'],
        dropoutWeightNames: readStringList(weights.get('dropout_1') as H5Group, 'weight_names'),
        kernel: { dtype: kernel.dtype, shape: kernel.shape },
        config: JSON.parse(readStringAttr(h5, 'model_config')!),
      };
    });
    const real = await withH5Bytes(readFixture('tfkeras2.1.6-tf_mnist_lenet.full.h5'), 'real.h5', (h5) => {
      const weights = h5.get('model_weights') as H5Group;
      return {
        rootAttrs: attrTypes(h5),
        weightsAttrs: attrTypes(weights),
        denseAttrType: attrTypes(weights.get('dense_1') as H5Group)['weight_names'],
        emptyAttrType: attrTypes(weights.get('flatten') as H5Group)['weight_names'],
        kernelDtype: ((weights.get('dense_1') as H5Group).get('dense_1/kernel:0') as unknown as { dtype: string }).dtype,
      };
    });
    // Same root attributes and string types as the real file (training_config is optional: we load uncompiled).
    const { training_config: _optional, ...realRoot } = real.rootAttrs;
    expect(ours.rootAttrs).toEqual(realRoot);
    expect(ours.rootAttrs['model_config']).toBe('"A"'); // vlen ASCII
    expect(ours.weightsAttrs['backend']).toBe(real.weightsAttrs['backend']);
    expect(ours.weightsAttrs['keras_version']).toBe(real.weightsAttrs['keras_version']);
    expect(ours.weightsAttrs['layer_names']).toMatch(/^"A\d+"$/); // fixed-length ASCII like the real file
    expect(real.weightsAttrs['layer_names']).toMatch(/^"A\d+"$/);
    expect(ours.layerNames).toEqual(['dense_1', 'dropout_1', 'dense_2']);
    expect(ours.denseWeightNames).toEqual(['dense_1/kernel:0', 'dense_1/bias:0']);
    expect(ours.denseAttrType).toMatch(/^"A\d+"$/);
    expect(real.denseAttrType).toMatch(/^"A\d+"$/);
    expect(ours.dropoutWeightNames).toEqual([]);
    expect(ours.dropoutAttrType).toBe(real.emptyAttrType); // empty list = float64 array of shape (0,)
    expect(ours.kernel).toEqual({ dtype: real.kernelDtype, shape: [784, 32] });
    expect(ours.config.class_name).toBe('Sequential');
    expect(ours.config.config.layers[0].config.batch_input_shape).toEqual([null, 784]);
  });
});

describe('the .keras export has the Keras 3 zip layout', () => {
  it('stores metadata.json, config.json, model.weights.h5 uncompressed, in that order, like the real Keras 3 file', async () => {
    const bytes = await exportKeras(mlp, 'keras');
    const members = unzipSync(bytes);
    expect(Object.keys(members)).toEqual(Object.keys(unzipSync(readFixture('keras3.11.1_mnist_cnn.keras'))));
    // local file header: compression method at offset 8 is 0 (STORED)
    expect(bytes[8]! | (bytes[9]! << 8)).toBe(0);
    const metadata = JSON.parse(strFromU8(members['metadata.json']!));
    expect(metadata.keras_version).toMatch(/^3\./);
    const config = JSON.parse(strFromU8(members['config.json']!));
    expect(config).toMatchObject({ module: 'keras', class_name: 'Sequential', registered_name: null });
    expect(config.config.layers[0]).toMatchObject({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 784] } });
    expect(config.config.layers[1].config.kernel_initializer).toMatchObject({ module: 'keras.initializers', class_name: 'VarianceScaling' });
    const groups = await withH5Bytes(members['model.weights.h5']!, 'weights.h5', (h5) => {
      const layers = h5.get('layers') as H5Group;
      return layers.keys().map((name) => {
        const vars = (layers.get(name) as H5Group).get('vars') as H5Group;
        return [name, readStringAttr(vars, 'name'), vars.keys()];
      });
    });
    expect(groups).toEqual([
      ['dense_1', 'dense_1', ['0', '1']],
      ['dense_2', 'dense_2', ['0', '1']],
      ['dropout_1', 'dropout_1', []],
    ]);
  });
});

/** Rewrites the weights of a .keras file the way Keras 2.13 on Windows stored them. */
async function windowsStyleKeras(source: Uint8Array, rename: Record<string, string>): Promise<Uint8Array> {
  const members = unzipSync(source);
  const layers = await withH5Bytes(members['model.weights.h5']!, 'w.h5', (h5) => {
    const group = h5.get('layers') as H5Group;
    return group.keys().map((name) => {
      const vars = (group.get(name) as H5Group).get('vars') as H5Group;
      return { name, values: vars.keys().map((k) => vars.get(k) as unknown as { value: Float32Array; shape: number[] }).map((d) => ({ value: d.value, shape: d.shape })) };
    });
  });
  const weights = await writeH5Bytes((h5) => {
    for (const layer of layers) {
      const vars = h5.create_group(`_layer_checkpoint_dependencies\\${rename[layer.name] ?? layer.name}`).create_group('vars');
      layer.values.forEach((v, i) => vars.create_dataset({ name: String(i), data: v.value, shape: v.shape, dtype: '<f' }));
    }
  });
  return zipSync({ 'config.json': members['config.json']!, 'model.weights.h5': weights }, { level: 0 });
}

describe('importKeras handles what real .keras writers do', () => {
  it('backslash group names and weight-group names that differ from the config (Keras 2.13 on Windows)', async () => {
    const exported = await exportKeras(mlp, 'keras');
    const windows = await windowsStyleKeras(exported, { dense_1: 'dense_4', dense_2: 'dense_7' });
    const imported = await importKeras(windows, { fileName: 'windows.keras' });
    expect(weightBytes(imported)).toEqual(weightBytes(mlp));
    imported.dispose();
  });

  it('more than 10 weights per layer are read in numeric, not lexicographic, order', async () => {
    // 12 weights of one shape with distinct values: read as vars/0, 1, 10, 11, 2, ... they would
    // land in the wrong variables and the bytes below would differ
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], name: 'a' }), new ManyWeights({ name: 'many' })] });
    const many = model.getLayer('many');
    expect(many.weights).toHaveLength(12);
    many.setWeights(many.weights.map((_, i) => tf.fill([3], i + 1)));
    const bytes = await exportKeras(model, 'keras');
    const imported = await importKeras(bytes);
    expect(weightBytes(imported)).toEqual(weightBytes(model));
    expect(Array.from(imported.getLayer('many').getWeights()[11]!.dataSync())).toEqual([12, 12, 12]);
    imported.dispose();
    model.dispose();
  });
});

/** A layer with 12 weights (w0..w11, each of shape [3]) that passes its input through unchanged. */
class ManyWeights extends tf.layers.Layer {
  static className = 'ManyWeights';
  override build(): void {
    for (let i = 0; i < 12; i++) this.addWeight(`w${i}`, [3], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? inputs[0]! : inputs;
  }
}
tf.serialization.registerClass(ManyWeights);
