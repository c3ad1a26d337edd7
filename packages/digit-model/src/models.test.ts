import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isDigitsError } from '@digits/mnist-data';
import { compileModel, countParameters, createCnn, createMlp } from './models';
import { SeededDropout } from './seeded-dropout';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createMlp', () => {
  it('is the tutorial network: 669,706 parameters, Keras layer config', () => {
    const model = createMlp();
    expect(countParameters(model)).toBe(669_706);
    const layers = model.toJSON(null, false) as unknown as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const summary = layers.config.layers.map(({ class_name, config }) => [
      class_name,
      config['units'] ?? config['activation'] ?? config['rate'],
    ]);
    expect(summary).toEqual([
      ['Dense', 512],
      ['Activation', 'relu'],
      ['Dropout', 0.2],
      ['Dense', 512],
      ['Activation', 'relu'],
      ['Dropout', 0.2],
      ['Dense', 10],
      ['Activation', 'softmax'],
    ]);
    expect(model.inputs[0]!.shape).toEqual([null, 784]);
    for (const { config } of layers.config.layers.filter((l) => l.class_name === 'Dense')) {
      // tfjs writes glorot_uniform in its general form, as Keras also reads it
      expect(config['kernel_initializer']).toMatchObject({
        class_name: 'VarianceScaling',
        config: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
      });
      expect((config['bias_initializer'] as { class_name: string }).class_name).toBe('Zeros');
      expect(config['use_bias']).toBe(true);
    }
    expect(model.layers.map((l) => l.name)).toEqual([
      'dense_1', 'activation_1', 'dropout_1', 'dense_2', 'activation_2', 'dropout_2', 'dense_3', 'activation_3',
    ]);
  });

  it('initialises kernels glorot-uniform (limit sqrt(6/(in+out))) and biases to zero', () => {
    const [kernel, bias] = createMlp({ seed: 3 }).layers[0]!.getWeights();
    const values = Array.from(kernel!.dataSync());
    const limit = Math.sqrt(6 / (784 + 512));
    const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(limit * 0.99);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(limit / 100);
    expect(Array.from(bias!.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('is seeded: the same seed gives the same weights, another seed others', () => {
    const weights = (seed: number) => createMlp({ seed }).getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(5)).toEqual(weights(5));
    expect(weights(5)[0]).not.toEqual(weights(6)[0]);
  });

  it('takes hidden sizes and a dropout rate', () => {
    const model = createMlp({ hiddenUnits: [64, 32, 16], dropout: 0.5 });
    expect(countParameters(model)).toBe(784 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
    expect(model.layers.filter((l) => l instanceof SeededDropout).map((l) => (l as SeededDropout).rate)).toEqual([0.5, 0.5, 0.5]);
  });

  it('rejects bad options with BAD_ARGUMENT', () => {
    for (const options of [{ hiddenUnits: [] }, { hiddenUnits: [0] }, { hiddenUnits: [1.5] }, { dropout: 1 }, { dropout: -0.1 }, { learningRate: 0 }]) {
      expect(() => createMlp(options)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    }
  });
});

describe('compileModel', () => {
  it("uses the tutorial's loss, Adam at 0.001 and accuracy, or a given learning rate", () => {
    const model = createMlp();
    expect(model.loss).toBe('categoricalCrossentropy');
    expect(model.optimizer.getConfig()['learningRate']).toBe(0.001);
    expect(model.metricsNames).toEqual(['loss', 'acc']);
    compileModel(model, { learningRate: 0.01 });
    expect(model.optimizer.getConfig()['learningRate']).toBe(0.01);
  });
});

describe('createCnn', () => {
  it('takes 784-vectors and outputs 10 probabilities', () => {
    const model = createCnn();
    expect(model.inputs[0]!.shape).toEqual([null, 784]);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    // conv 3x3x1x32, conv 3x3x32x64, dense 1600x128, dense 128x10, with biases
    expect(countParameters(model)).toBe(320 + 18_496 + 204_928 + 1_290);
    const out = tf.tidy(() => (model.predict(tf.zeros([2, 784])) as tf.Tensor).sum(1).dataSync());
    expect(Array.from(out).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 1]);
  });
});

describe('SeededDropout', () => {
  it('drops different units on each training call, reproducibly, and none in inference', () => {
    const masks = (seed: number) => {
      const layer = new SeededDropout({ rate: 0.5, seed });
      return [0, 1].map(() => tf.tidy(() => Array.from((layer.apply(tf.ones([1, 64]), { training: true }) as tf.Tensor).dataSync())));
    };
    const [first, second] = masks(1);
    expect(first).not.toEqual(second);
    expect(new Set(first)).toEqual(new Set([0, 2]));
    expect(masks(1)).toEqual([first, second]);
    const layer = new SeededDropout({ rate: 0.5, seed: 1 });
    const inference = tf.tidy(() => Array.from((layer.apply(tf.ones([1, 8])) as tf.Tensor).dataSync()));
    expect(inference).toEqual(new Array(8).fill(1));
  });

  it('serialises as a plain Keras Dropout that tfjs loads back', async () => {
    const model = createMlp({ hiddenUnits: [8] });
    const json = model.toJSON(null, false) as unknown as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers[2]!.class_name).toBe('Dropout');
    const loaded = await tf.models.modelFromJSON(json as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
    expect(loaded.layers[2]!.getClassName()).toBe('Dropout');
    expect(isDigitsError(new Error('x'))).toBe(false);
  });
});
