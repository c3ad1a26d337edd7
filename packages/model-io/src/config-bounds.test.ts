import * as tf from '@tensorflow/tfjs';
import { createCnn, createMlp } from '@digits/model';
import { strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { estimateParameters } from './config-bounds';
import { importKeras } from './keras-import';
import { normalizeKerasConfig } from './keras-config';
import { MODEL_LIMITS } from './limits';
import { readFixture } from './test-utils/fixtures';
import { smallFunctionalCnn, smallMlp } from './test-utils/models';

const topologyOf = (model: tf.LayersModel) => model.toJSON(null, false) as unknown as Record<string, unknown>;
const mlpConfig = () => JSON.parse(strFromU8(readFixture('keras2.0.6_tf_mnist_mlp.config.json')));

describe('estimateParameters: what a config builds, counted before building', () => {
  it('matches countParams for the digits MLP and CNN, and Sequential and functional test models', () => {
    for (const model of [createMlp(), createCnn(), smallMlp(), smallFunctionalCnn()]) {
      expect(estimateParameters(topologyOf(model), 'm')).toBe(model.countParams());
      model.dispose();
    }
  });

  it.each([
    'tfkeras2.1.6-tf_mnist_lenet.full.h5',
    'tfkeras2.6.0_mnist_convnet.full.h5',
    'tfkeras2.2.4-tf_tiny_mnist_bn.nooptimizer.h5',
    'keras3.11.1_mnist_cnn.keras',
  ])('matches countParams for the real Keras model %s', async (fixture) => {
    const model = await importKeras(readFixture(fixture), { fileName: fixture });
    expect(estimateParameters(topologyOf(model), fixture)).toBe(model.countParams());
    model.dispose();
  });

  it('counts a raw Keras 2 config (normalized) the same as the model built from it', async () => {
    const model = await importKeras(readFixture('keras2.0.6_tf_mnist_mlp.weights.h5'), { configJson: mlpConfig() });
    expect(estimateParameters(normalizeKerasConfig(mlpConfig(), 'c'), 'c')).toBe(model.countParams());
    model.dispose();
  });
});

describe('configs that would allocate gigabytes are refused before any layer is built', () => {
  const widened = (units: number[]) => {
    const config = mlpConfig();
    config.config.forEach((layer: { class_name: string; config: { units?: number } }, i: number) => {
      if (layer.class_name === 'Dense' && units[i] !== undefined) layer.config.units = units[i];
    });
    return config;
  };
  const weights = () => readFixture('keras2.0.6_tf_mnist_mlp.weights.h5');

  async function expectRefused(configJson: object, code: string, message: RegExp): Promise<void> {
    const tensors = tf.memory().numTensors;
    const started = Date.now();
    const error = await importKeras(weights(), { fileName: 'w.h5', configJson }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code, file: 'w.h5' });
    expect((error as Error).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(tensors); // nothing was allocated
    expect(Date.now() - started).toBeLessThan(3000);
  }

  it('units: 1000000 (over the per-layer limit): SHAPE_LIMIT', async () => {
    await expectRefused(widened([1_000_000]), 'SHAPE_LIMIT', /layer "dense_1" \(Dense\) declares units 1000000, more than the limit of 65536/);
  });

  it('sizes under the per-layer limit that multiply past the parameter limit: SHAPE_LIMIT', async () => {
    await expectRefused(widened([60_000, undefined as unknown as number, 60_000]), 'SHAPE_LIMIT', new RegExp(`describes [\\d,]+ parameters, more than the limit of ${MODEL_LIMITS.maxParameters.toLocaleString('en-US')}`));
  });

  it('a config far larger than the weights the file stores: MODEL_WEIGHTS_INVALID', async () => {
    await expectRefused(widened([20_000]), 'MODEL_WEIGHTS_INVALID', /describes 25,945,642 parameters but the file stores 669,706/);
  });
});
