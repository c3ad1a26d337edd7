import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { exportKeras } from './keras-export';
import { importKeras, type ImportKerasOptions } from './keras-import';
import { readFixture } from './test-utils/fixtures';
import { weightBytes } from './test-utils/models';

const MLP_WEIGHTS = 'keras2.0.6_tf_mnist_mlp.weights.h5';
const mlpConfig = () => JSON.parse(strFromU8(readFixture('keras2.0.6_tf_mnist_mlp.config.json')));

async function expectImportError(bytes: Uint8Array, options: ImportKerasOptions, code: string, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await importKeras(bytes, options).then(() => undefined, (e: unknown) => e);
  expect(error).toMatchObject({ name: 'DigitsError', code });
  expect((error as { file?: string }).file).toBe(options.fileName);
  expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('importKeras rejects bad input with one clear DigitsError', () => {
  it('an HTML page saved as model.h5: NOT_HDF5, says it is HTML', async () => {
    const html = strToU8('<!DOCTYPE html>\n<html lang="en"><head><title>mnist_mlp.keras at main</title></head></html>');
    await expectImportError(html, { fileName: 'model.h5' }, 'NOT_HDF5', /HTML page/);
  });

  it('an empty file: NOT_HDF5', async () => {
    await expectImportError(new Uint8Array(0), { fileName: 'empty.h5' }, 'NOT_HDF5', /empty file/);
  });

  it('a truncated HDF5 file: a DigitsError saying it is truncated, with the sizes, and no HDF5-DIAG output', async () => {
    const bytes = readFixture('tfkeras2.6.0_mnist_convnet.full.h5');
    // h5wasm prints HDF5's error stack through console.error unless its throwing handler is on
    const printed: unknown[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args) => void printed.push(args));
    onTestFinished(() => spy.mockRestore());
    await expectImportError(bytes.subarray(0, 2048), { fileName: 'truncated.h5' }, 'MODEL_INVALID', /truncated: 2048 of \d+ bytes/);
    await expectImportError(bytes.subarray(0, 200_000), { fileName: 'half.h5' }, 'MODEL_INVALID', /truncated: 200000 of \d+ bytes/);
    expect(printed).toEqual([]);
  });

  it('an HDF5 file with no model_config and no Keras weights (the dl4j inputs file): KERAS_CONFIG_MISSING', async () => {
    await expectImportError(readFixture('keras2.0.6_tf_mnist_mlp.inputs_and_outputs.h5'), { fileName: 'io.h5' }, 'KERAS_CONFIG_MISSING', /no model_config/);
  });

  it('a save_weights file without its config: KERAS_CONFIG_MISSING, suggesting configJson', async () => {
    await expectImportError(readFixture(MLP_WEIGHTS), { fileName: 'w.h5' }, 'KERAS_CONFIG_MISSING', /configJson/);
  });

  it('a zip without config.json: KERAS_CONFIG_MISSING listing the members', async () => {
    const members = unzipSync(readFixture('keras3.11.1_mnist_cnn.keras'));
    delete members['config.json'];
    await expectImportError(zipSync(members, { level: 0 }), { fileName: 'no-config.keras' }, 'KERAS_CONFIG_MISSING', /no config\.json \(members: metadata\.json, model\.weights\.h5\)/);
  });

  it('a zip without model.weights.h5: MODEL_WEIGHTS_INVALID', async () => {
    const members = unzipSync(readFixture('keras3.11.1_mnist_cnn.keras'));
    delete members['model.weights.h5'];
    await expectImportError(zipSync(members, { level: 0 }), { fileName: 'no-weights.keras' }, 'MODEL_WEIGHTS_INVALID', /no model\.weights\.h5/);
  });

  it('a corrupt zip: NOT_ZIP', async () => {
    const bytes = readFixture('keras3.11.1_mnist_cnn.keras').slice(0, 5000);
    await expectImportError(bytes, { fileName: 'cut.keras' }, 'NOT_ZIP', /could not be read/);
  });

  it('a config that is not JSON: MODEL_INVALID', async () => {
    await expectImportError(readFixture(MLP_WEIGHTS), { fileName: 'w.h5', configJson: '{"class_name": "Sequential", "config": [' }, 'MODEL_INVALID', /not valid JSON/);
  });

  it('an unknown layer class: UNSUPPORTED_LAYER "unsupported layer Lambda"', async () => {
    const config = mlpConfig();
    config.config[1] = { class_name: 'Lambda', config: { name: 'lambda_1', function: ['...', null, null], function_type: 'lambda' } };
    await expectImportError(readFixture(MLP_WEIGHTS), { fileName: 'w.h5', configJson: config }, 'UNSUPPORTED_LAYER', /unsupported layer Lambda \("lambda_1"\)/);
  });

  it('an unknown layer class in a .keras config.json: UNSUPPORTED_LAYER', async () => {
    const members = unzipSync(readFixture('keras3.11.1_mnist_cnn.keras'));
    const config = JSON.parse(strFromU8(members['config.json']!));
    config.config.layers[2].class_name = 'MyAttention';
    members['config.json'] = strToU8(JSON.stringify(config));
    await expectImportError(zipSync(members, { level: 0 }), { fileName: 'custom.keras' }, 'UNSUPPORTED_LAYER', /unsupported layer MyAttention \("max_pooling2d"\)/);
  });

  it('a config with a different shape than the stored weights: MODEL_WEIGHTS_INVALID naming the weight', async () => {
    const config = mlpConfig();
    config.config[2].config.units = 256;
    await expectImportError(readFixture(MLP_WEIGHTS), { fileName: 'w.h5', configJson: config }, 'MODEL_WEIGHTS_INVALID', /dense_2\/dense_2\/kernel:0" has shape \[512, 512\] but layer "dense_2" expects \[512, 256\]/);
  });

  it('a config with more weighted layers than the file stores: MODEL_WEIGHTS_INVALID', async () => {
    const config = mlpConfig();
    config.config.push({ class_name: 'Dense', config: { name: 'dense_4', units: 10, activation: 'softmax' } });
    await expectImportError(readFixture(MLP_WEIGHTS), { fileName: 'w.h5', configJson: config }, 'MODEL_WEIGHTS_INVALID', /4 layers with weights but the file stores weights for 3/);
  });
});

describe('importKeras normalizes the Keras 3 functional dialect', () => {
  it('reads {args, kwargs} inbound nodes with __keras_tensor__ history and flat input/output triples', async () => {
    const input = tf.input({ shape: [4], name: 'features' });
    const hidden = tf.layers.dense({ units: 3, activation: 'relu', name: 'hidden' }).apply(input) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output, name: 'tiny' });
    const members = unzipSync(await exportKeras(model, 'keras'));
    const config = JSON.parse(strFromU8(members['config.json']!));
    const tensor = (history: [string, number, number]) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: history } });
    for (const layer of config.config.layers) {
      const inbound = layer.inbound_nodes as [string, number, number, object][][];
      layer.inbound_nodes = inbound.map((node) => ({ args: [tensor([node[0]![0], node[0]![1], node[0]![2]])], kwargs: { training: false } }));
    }
    config.config.input_layers = ['features', 0, 0];
    config.config.output_layers = ['out', 0, 0];
    config.config.layers[1].config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    members['config.json'] = strToU8(JSON.stringify(config));
    const imported = await importKeras(zipSync(members, { level: 0 }), { fileName: 'functional.keras' });
    expect(imported.inputs[0]!.shape).toEqual([null, 4]);
    expect(weightBytes(imported)).toEqual(weightBytes(model));
    const x = tf.tensor2d([[0.1, -2, 3, 0.5]]);
    expect((imported.predict(x) as tf.Tensor).dataSync()).toEqual((model.predict(x) as tf.Tensor).dataSync());
    imported.dispose();
    model.dispose();
  });
});
