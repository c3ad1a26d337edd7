import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { importKeras } from './keras-import';
import { expectedPredictions, readFixture } from './test-utils/fixtures';

const expected = expectedPredictions();
const pixels = expected.inputs.map((input) => input.pixels);

async function importFixture(fixture: string): Promise<tf.LayersModel> {
  if (fixture.endsWith('.weights.h5')) {
    const configJson = new TextDecoder().decode(readFixture(fixture.replace('.weights.h5', '.config.json')));
    return importKeras(readFixture(fixture), { fileName: fixture, configJson });
  }
  return importKeras(readFixture(fixture), { fileName: fixture });
}

describe('importKeras on the shared real Keras files', () => {
  it('covers every model listed in expected_predictions.json', () => {
    expect(expected.models.map((m) => m.fixture).sort()).toEqual([
      'keras1.2.1_tf_mnist_mlp.weights.h5',
      'keras2.0.6_tf_mnist_mlp.weights.h5',
      'keras3.11.1_mnist_cnn.keras',
      'tfkeras2.1.6-tf_mnist_lenet.full.h5',
      'tfkeras2.2.4-tf_tiny_mnist_bn.nooptimizer.h5',
      'tfkeras2.6.0_mnist_convnet.full.h5',
    ]);
  });

  for (const spec of expected.models) {
    it(`${spec.fixture}: softmax within 1e-5 and the same argmax for all 8 inputs`, async () => {
      const model = await importFixture(spec.fixture);
      const layerNames = spec.layers.map((l) => l.split(':')[1]!.split('->')[0]);
      // Sequential models come back without an InputLayer (like tfjs-built ones); functional ones start with it.
      const layers = model.layers.map((l) => [l.getClassName(), l.name]);
      if (!(model instanceof tf.Sequential)) expect(layers.shift()?.[0]).toBe('InputLayer');
      expect(layers.map(([, name]) => name)).toEqual(layerNames);
      const shape = [pixels.length, ...spec.input_shape.slice(1)] as number[];
      const before = tf.memory().numTensors;
      const output = tf.tidy(() => model.predict(tf.tensor(pixels.flat(), shape)) as tf.Tensor);
      const probabilities = (await output.array()) as number[][];
      output.dispose();
      expect(tf.memory().numTensors).toBe(before);
      for (const [i, want] of spec.expected.entries()) {
        const got = probabilities[i]!;
        const maxDiff = Math.max(...got.map((p, k) => Math.abs(p - want.softmax[k]!)));
        expect(maxDiff, `${want.input}`).toBeLessThan(1e-5);
        expect(got.indexOf(Math.max(...got)), want.input).toBe(want.argmax);
      }
      model.dispose();
    });
  }

  it('imports the Keras 1.2.2 full-model file (Keras 1 config dialect, weights under model_weights)', async () => {
    const model = await importFixture('keras1.2.2_tf_dense4x6.full.h5');
    expect(model.inputs[0]!.shape).toEqual([null, 4]);
    expect(model.outputs[0]!.shape).toEqual([null, 6]);
    const kernel = model.layers[0]!.getWeights()[0]!;
    expect(kernel.shape).toEqual([4, 6]);
    model.dispose();
  });
});
