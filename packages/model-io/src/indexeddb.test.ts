import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from './index';
import { smallMlp, weightBytes } from './test-utils/models';

// tfjs only routes indexeddb:// in a browser: pretend to be one, with fake-indexeddb's in-memory IndexedDB.
const wasBrowser = tf.env().getBool('IS_BROWSER');
beforeAll(() => {
  (globalThis as { self?: unknown }).self ??= globalThis;
  tf.env().set('IS_BROWSER', true);
});
afterAll(() => tf.env().set('IS_BROWSER', wasBrowser));

describe('IndexedDB (browser entry)', () => {
  it('saves to and loads from indexeddb://, bit-identical, with the card and quantization', async () => {
    const model = smallMlp(31);
    await saveModel(model, 'indexeddb://digits-test', { card: { name: 'idb' } });
    const { model: loaded, card } = await loadModel('indexeddb://digits-test');
    expect(weightBytes(loaded)).toEqual(weightBytes(model));
    expect(card?.name).toBe('idb');
    await saveModel(model, 'indexeddb://digits-test-uint8', { quantize: 'uint8' });
    const { model: small, card: smallCard } = await loadModel('indexeddb://digits-test-uint8');
    expect(smallCard?.quantization).toBe('uint8');
    expect(small.getWeights()[0]!.dtype).toBe('float32');
    [loaded, small, model].forEach((m) => m.dispose());
  });

  it('a missing IndexedDB model is MODEL_NOT_FOUND naming it', async () => {
    await expect(loadModel('indexeddb://nothing-saved')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', file: 'indexeddb://nothing-saved' });
  });
});
