import type * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import * as browser from './index';
import { assertLoadSource, assertSaveArguments } from './save-load';
import type { CheckpointState, LoadedCheckpoint, LoadedModel, LoadOptions, ModelCardInput, SaveOptions } from './index';
import { fileSystemHandler, modelJsonPath } from './node/fs-handler';
import { ModelDirectory, type ModelDirectoryOptions } from './node/model-dir';

export * from './index';
export { fileSystemHandler } from './node/fs-handler';
export { ModelDirectory, withModelDirectory, type ModelDirectoryOptions } from './node/model-dir';
export { lockTarget, lockFileFor, type TargetLock } from './node/lock';
export { cleanStaleTemps } from './node/atomic-dir';
export { readKerasFile, writeKerasFile } from './node/keras-files';
export { checkOutputFiles, writeOutputFiles, type OutputFilesOptions } from './node/output-files';

/** tfjs URL schemes (indexeddb://, http://, ...) go to tfjs; anything else is a directory path (or file:// URL). */
function localPath(target: string): string | undefined {
  if (target.startsWith('file://')) return fileURLToPath(target);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? undefined : target;
}

type SaveTarget = string | tf.io.IOHandler | ModelDirectory;

/**
 * saveModel that also accepts a directory path (or an open ModelDirectory): writes model.json +
 * weights.bin atomically, under the directory's lock, never over files digits did not write, and
 * over an existing model only with `overwrite: true` (MODEL_EXISTS otherwise).
 */
export async function saveModel(model: tf.LayersModel, target: SaveTarget, options: SaveOptions & ModelDirectoryOptions = {}): Promise<tf.io.SaveResult> {
  if (target instanceof ModelDirectory) return browser.saveWithHandler(model, target.handler(), target.path, options);
  assertSaveArguments(model, target);
  const path = typeof target === 'string' ? localPath(target) : undefined;
  if (path === undefined) return browser.saveModel(model, target as string | tf.io.IOHandler, options);
  return browser.saveWithHandler(model, fileSystemHandler(path, options), path, options);
}

/** loadModel that also accepts a model directory or its model.json path. */
export async function loadModel(source: string | tf.io.IOHandler | File[], options: LoadOptions = {}): Promise<LoadedModel> {
  assertLoadSource(source);
  const path = typeof source === 'string' ? localPath(source) : undefined;
  if (path === undefined) return browser.loadModel(source, options);
  return browser.loadWithHandler(fileSystemHandler(path), modelJsonPath(path), options);
}

/** saveCheckpoint that also accepts a directory path or an open ModelDirectory (see saveModel). */
export async function saveCheckpoint<S extends object, L extends object>(
  model: tf.LayersModel,
  target: SaveTarget,
  state: CheckpointState<S, L>,
  options: { card?: ModelCardInput } & ModelDirectoryOptions = {},
): Promise<tf.io.SaveResult> {
  if (typeof target !== 'string' && !(target instanceof ModelDirectory)) return browser.saveCheckpoint(model, target, state, options);
  const { card, ...directory } = options;
  return saveModel(model, target, { ...browser.checkpointSaveOptions(model, state, card), ...directory });
}

/** loadCheckpoint that also accepts a model directory. */
export async function loadCheckpoint<S extends object = Record<string, unknown>, L extends object = Record<string, unknown>>(
  source: string | tf.io.IOHandler,
  options: LoadOptions = {},
): Promise<LoadedCheckpoint<S, L>> {
  return browser.checkpointFromLoaded<S, L>(await loadModel(source, options), typeof source === 'string' ? source : 'IOHandler');
}
