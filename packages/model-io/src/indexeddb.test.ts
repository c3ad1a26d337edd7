import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetIdentity, loadCheckpoint, loadModel, saveCheckpoint, saveModel } from './index';
import { mnist, smallMlp, trainBriefly, weightBytes } from './test-utils/models';

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

  it('a training checkpoint round-trips through indexeddb:// (what the web app would use), optimizer state included', async () => {
    const data = await mnist();
    const model = smallMlp(33, { dropout: false });
    await trainBriefly(model, data.train, 256);
    const state = { settings: { epochs: 3, batchSize: 32 }, history: [{ epoch: 1, loss: 1 }], dataset: await datasetIdentity(data) };
    await saveCheckpoint(model, 'indexeddb://digits-checkpoint', state);
    const restored = await loadCheckpoint('indexeddb://digits-checkpoint');
    expect({ settings: restored.settings, history: restored.history, dataset: restored.dataset }).toEqual(state);
    expect(weightBytes(restored.model)).toEqual(weightBytes(model));
    const [a, b] = [await model.optimizer.getWeights(), await restored.model.optimizer.getWeights()];
    expect(b.map((w) => Array.from(w.tensor.dataSync()))).toEqual(a.map((w) => Array.from(w.tensor.dataSync())));
    tf.dispose([a[0]!.tensor, b[0]!.tensor]);
    restored.model.optimizer.dispose();
    [restored.model, model].forEach((m) => m.dispose());
  });
});
