import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDigitsError } from '@digits/mnist-data';
import { applyMutations, FUZZ, mutations } from '../../mnist-data/src/test-utils/mutations';
import { buildFromKerasConfig } from './keras-import';
import { readFixture } from './test-utils/fixtures';

const CONFIGS = {
  'Keras 2 Sequential (keras2.0.6 MLP)': strFromU8(readFixture('keras2.0.6_tf_mnist_mlp.config.json')),
  'Keras 1 Sequential (keras1.2.1 MLP)': strFromU8(readFixture('keras1.2.1_tf_mnist_mlp.config.json')),
  'Keras 3 (keras3.11.1 CNN config.json)': strFromU8(unzipSync(readFixture('keras3.11.1_mnist_cnn.keras'))['config.json']!),
};

/** Every value in a JSON tree, by path, so one can be replaced. */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) paths(child, [...at, Array.isArray(value) ? Number(key) : key], out);
  }
  return out;
}

function replaceAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return root;
}

const hostileValue = fc.oneof(fc.constantFrom(null, -1, 0, 1.5, 1e6, 2 ** 31, [], {}, '', 'Dense', [null, 1e6], { class_name: 'Dense' }), fc.jsonValue({ maxDepth: 2 }));

async function buildsOrDigitsError(config: string | object): Promise<boolean> {
  const tensors = tf.memory().numTensors;
  try {
    (await buildFromKerasConfig(config, 'fuzzed')).dispose();
  } catch (error) {
    if (!isDigitsError(error)) throw error;
  }
  return tf.memory().numTensors === tensors;
}

describe('Keras config normalisation fuzzed with mutations of real configs (fixed seed)', () => {
  it.each(Object.entries(CONFIGS))('%s: byte mutations build or throw a DigitsError, leaking nothing', async (_, text) => {
    expect(await buildsOrDigitsError(text)).toBe(true);
    const bytes = new TextEncoder().encode(text);
    await fc.assert(fc.asyncProperty(mutations(), (edits) => buildsOrDigitsError(new TextDecoder().decode(applyMutations(bytes, edits)))), { ...FUZZ, numRuns: 100 });
  });

  it.each(Object.entries(CONFIGS))('%s: any value replaced by a hostile one builds or throws a DigitsError', async (_, text) => {
    const all = paths(JSON.parse(text));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: all.length - 1 }), hostileValue), { minLength: 1, maxLength: 3 }), async (edits) => {
        let config: unknown = JSON.parse(text);
        for (const [index, value] of edits) {
          const path = all[index]!;
          if (paths(config).some((p) => p.join('\u0000') === path.join('\u0000'))) config = replaceAt(config, path, structuredClone(value));
        }
        return buildsOrDigitsError(config as object);
      }),
      { ...FUZZ, numRuns: 150 },
    );
  });
});
