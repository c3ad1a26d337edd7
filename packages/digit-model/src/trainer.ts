import type * as tf from '@tensorflow/tfjs';
import { Registry } from './registry';

/**
 * The hook through which a faster training engine takes over `train()`'s inner loop.
 *
 * `train()` keeps everything a user sees (options, validation split, per-epoch shuffles, callbacks,
 * early stopping, checkpoints, abort, history). Before the first epoch it asks each registered
 * trainer, newest first, to `begin` a session for the model; the first that returns a session
 * trains every epoch's batches, and `train()` falls back to tfjs's `trainOnBatch` when none does,
 * recording the reasons they gave in `History.trainerReason`. `predictor.ts` is the same hook for
 * prediction.
 */
export interface Trainer {
  /** Shown in `History.trainer`, e.g. 'engine'. */
  readonly name: string;
  /**
   * A session when this trainer can train this model on the active tfjs backend with these
   * settings; otherwise a short reason why not (e.g. 'not an MLP of Dense/ReLU/Dropout layers').
   */
  begin(context: TrainerContext): TrainerSession | string | Promise<TrainerSession | string>;
}

export interface TrainerContext {
  /** A compiled model; its optimizer holds the learning rate. */
  model: tf.LayersModel;
  batchSize: number;
  /** The run's seed (e.g. for dropout masks). */
  seed: number;
  /** tf.getBackend() at the start of training. */
  backend: string;
}

export interface EpochPlan {
  /** 1-based number of the epoch being trained. */
  epoch: number;
  /** The training split (raw bytes; scale x / 255 and one-hot the labels as `gatherBatch` does). */
  images: Uint8Array;
  labels: Uint8Array;
  /** Pixels per image (784). */
  pixels: number;
  /** Sample indices in this epoch's order; batch b is order[b*batchSize .. (b+1)*batchSize). */
  order: Uint32Array;
  batchSize: number;
  /** Call after each batch with that batch's mean loss and accuracy. */
  onBatchEnd(batch: number, logs: { loss: number; acc: number; size: number }): void;
  /** Stop after the current batch when aborted; `train()` then discards the partial epoch. */
  signal?: AbortSignal;
}

export interface TrainerSession {
  /** Trains one epoch; resolves to the sample-weighted mean loss and accuracy over its batches. */
  trainEpoch(plan: EpochPlan): Promise<{ loss: number; acc: number }>;
  /** Writes the current weights into the tfjs model (called before validation, callbacks, checkpoints). */
  syncToModel(): void | Promise<void>;
  /** Frees the session's memory and workers; called once, also after errors and aborts. */
  dispose(): void | Promise<void>;
}

const trainers = new Registry<Trainer>();

/** Registers a trainer; returns a function that unregisters it. */
export function registerTrainer(trainer: Trainer): () => void {
  return trainers.add(trainer);
}

/** The registered trainers, newest first. */
export function registeredTrainers(): readonly Trainer[] {
  return trainers.all;
}

/**
 * The session of the first registered trainer that takes the model, with its name, or the reasons
 * each one gave (`name: reason`, '; '-separated; empty when none is registered).
 */
export async function beginTraining(context: TrainerContext): Promise<{ name: string; session: TrainerSession } | string> {
  const reasons: string[] = [];
  for (const trainer of trainers.all) {
    const session = await trainer.begin(context);
    if (typeof session !== 'string') return { name: trainer.name, session };
    reasons.push(`${trainer.name}: ${session}`);
  }
  return reasons.join('; ');
}
