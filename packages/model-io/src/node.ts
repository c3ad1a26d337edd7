import type * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import * as browser from './index';
import type { LoadedModel, SaveOptions } from './index';
import { fileSystemHandler, modelJsonPath } from './node/fs-handler';

export * from './index';
export { fileSystemHandler } from './node/fs-handler';
export { readKerasFile, writeKerasFile } from './node/keras-files';

/** tfjs URL schemes (indexeddb://, http://, ...) go to tfjs; anything else is a directory path (or file:// URL). */
function localPath(target: string): string | undefined {
  if (target.startsWith('file://')) return fileURLToPath(target);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? undefined : target;
}

/** saveModel that also accepts a directory path: writes model.json + weights.bin atomically. */
export async function saveModel(model: tf.LayersModel, target: string | tf.io.IOHandler, options: SaveOptions = {}): Promise<tf.io.SaveResult> {
  const path = typeof target === 'string' ? localPath(target) : undefined;
  if (path === undefined) return browser.saveModel(model, target, options);
  return browser.saveWithHandler(model, fileSystemHandler(path), path, options);
}

/** loadModel that also accepts a model directory or its model.json path. */
export async function loadModel(source: string | tf.io.IOHandler | File[]): Promise<LoadedModel> {
  const path = typeof source === 'string' ? localPath(source) : undefined;
  if (path === undefined) return browser.loadModel(source);
  return browser.loadWithHandler(fileSystemHandler(path), modelJsonPath(path));
}
