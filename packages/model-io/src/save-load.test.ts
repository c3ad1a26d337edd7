import type { DigitsError } from '@digits/mnist-data';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, memoryHandler, saveModel } from './index';
import { saveModel as saveToDirectory } from './node';
import { smallMlp, weightBytes } from './test-utils/models';

let work: string;
let server: Server;
let baseUrl: string;
const model = smallMlp(11);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-io-http-'));
  await saveToDirectory(model, join(work, 'served'), { card: { name: 'served', testAccuracy: 0.25 } });
  server = createServer((request, response) => {
    readFile(join(work, 'served', decodeURIComponent(new URL(request.url!, 'http://x').pathname)))
      .then((body) => response.end(body))
      .catch(() => response.writeHead(404).end('not found'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('browser-safe entry', () => {
  it('saves into and loads from memory, bit-identical, with the card', async () => {
    const memory = memoryHandler();
    await saveModel(model, memory, { card: { name: 'in memory' } });
    const { model: loaded, card } = await loadModel(memory);
    expect(weightBytes(loaded)).toEqual(weightBytes(model));
    expect(card?.name).toBe('in memory');
    loaded.dispose();
  });

  it('loads a model.json over http (what the web app does), bit-identical, with the card', async () => {
    const { model: loaded, card } = await loadModel(`${baseUrl}/model.json`);
    expect(weightBytes(loaded)).toEqual(weightBytes(model));
    expect(card).toMatchObject({ name: 'served', testAccuracy: 0.25, parameters: model.countParams() });
    loaded.dispose();
  });

  it('a missing URL is MODEL_NOT_FOUND naming the URL once (tfjs\'s own message names it too)', async () => {
    const url = `${baseUrl}/nope/model.json`;
    const error = (await loadModel(url).then(
      () => undefined,
      (e: unknown) => e as DigitsError,
    ))!;
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND', file: url });
    expect(error.message).toMatch(/status code 404/);
    expect(error.message.split(url)).toHaveLength(2);
  });

  it('validates artifacts from any handler: weights shorter than the manifest are refused', async () => {
    const memory = memoryHandler();
    await saveModel(model, memory);
    memory.artifacts!.weightData = (memory.artifacts!.weightData as ArrayBuffer).slice(0, 1000);
    await expect(loadModel(memory)).rejects.toMatchObject({ code: 'MODEL_WEIGHTS_INVALID', message: expect.stringMatching(/truncated/) });
  });

  it('a plain path is refused in the browser entry with a pointer to the node entry', async () => {
    await expect(saveModel(model, 'some/dir')).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/@digits\/model-io\/node/) });
    await expect(loadModel('some/dir')).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });

  it('keeps tf.memory() flat: loading and disposing leaks no tensors', async () => {
    const memory = memoryHandler();
    await saveModel(model, memory, { quantize: 'uint8' });
    const before = tf.memory().numTensors;
    const { model: loaded } = await loadModel(memory);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
