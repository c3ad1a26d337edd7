import * as tf from '@tensorflow/tfjs';
import { stateSlots, type OptimizerSpec } from './optimizers';

/** The engine's buffers for the optimizer's state slots, in `stateSlots` order. */
export type EngineSlot = 'm' | 'v';
const ENGINE_SLOT: readonly EngineSlot[] = ['m', 'v'];

/** Where an engine keeps one trainable variable's optimizer state. */
export interface StateSlots {
  /** The variable's name and shape as tfjs has them. */
  name: string;
  shape: number[];
  read(slot: EngineSlot): Float32Array;
  write(slot: EngineSlot, values: Float32Array): void;
}

/** What both engines' sessions keep of the optimizer: the step count, and each variable's state. */
export interface OptimizerStateHolder {
  iterations: number;
}

/**
 * Copies a tfjs optimizer's state into an engine: the iterations, then the slots in tfjs' order
 * (every variable's first slot, then every variable's second; `variables` in model.trainableWeights
 * order). A fresh optimizer has no slots yet: the engine's stay zero.
 */
export async function loadOptimizerState(
  optimizer: tf.Optimizer,
  spec: OptimizerSpec,
  engine: OptimizerStateHolder,
  variables: StateSlots[],
): Promise<void> {
  const [iter, ...moments] = await optimizer.getWeights();
  engine.iterations = iter ? (await iter.tensor.data())[0]! : 0;
  iter?.tensor.dispose();
  const kinds = stateSlots(spec);
  if (kinds.length === 0 || moments.length !== kinds.length * variables.length) return;
  kinds.forEach((_, k) => variables.forEach((v, i) => v.write(ENGINE_SLOT[k]!, moments[k * variables.length + i]!.tensor.dataSync() as Float32Array)));
}

/** Writes an engine's optimizer state back into the tfjs optimizer, named and ordered as tfjs names them. */
export async function saveOptimizerState(
  optimizer: tf.Optimizer,
  spec: OptimizerSpec,
  engine: OptimizerStateHolder,
  variables: StateSlots[],
): Promise<void> {
  const old = await optimizer.getWeights();
  const state = stateSlots(spec).flatMap((suffix, k) =>
    variables.map((v) => ({ name: `${v.name}/${suffix}`, tensor: tf.tensor(v.read(ENGINE_SLOT[k]!), v.shape) })),
  );
  const fresh = [{ name: 'iter', tensor: tf.scalar(engine.iterations, 'int32') }, ...state];
  try {
    await optimizer.setWeights(fresh);
  } finally {
    fresh.forEach((w) => w.tensor.dispose());
  }
  // setWeights made new variables; the old moments (and the iterations scalar) are ours to free
  old.forEach((w) => w.tensor.dispose());
}
