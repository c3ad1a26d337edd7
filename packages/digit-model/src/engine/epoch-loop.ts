import { deriveSeed } from '../seeds';
import type { EpochPlan } from '../trainer';
import { yieldToEventLoop } from '../event-loop';

/** Event-loop yields during an epoch, so that timers and abort signals get through. */
const YIELD_EVERY_MS = 50;

/** Batches timed each way at the start of an epoch (the first of each is a warm-up). */
const PROBE_BATCHES = 8;

/** What the loop drives: an engine holding this epoch's data and order. */
export interface BatchTrainer {
  trainBatch(first: number, size: number, seed: number): { loss: number; correct: number };
  readonly hasWorkers: boolean;
  parallel: boolean;
}

/**
 * Trains one epoch's batches in an engine that holds the epoch's data: batch b with the seed
 * deriveSeed(seed, 4, epoch, b), reporting each batch, yielding to the event loop now and then and
 * stopping after the batch during which the plan's signal aborted. With `adaptive`, the first
 * batches are timed on all threads and on this one alone and the faster is kept for the epoch
 * (results are identical either way). Resolves to the sample-weighted mean loss and accuracy.
 */
export async function trainEpochIn(engine: BatchTrainer, plan: EpochPlan, seed: number, adaptive: boolean): Promise<{ loss: number; acc: number }> {
  const n = plan.order.length;
  let lossSum = 0;
  let correctSum = 0;
  let seen = 0;
  let lastYield = performance.now();
  const probe = { parallel: 0, serial: 0 };
  const timed = adaptive && engine.hasWorkers;
  for (let batch = 0, start = 0; start < n; batch++, start += plan.batchSize) {
    const size = Math.min(plan.batchSize, n - start);
    if (timed && batch <= 2 * PROBE_BATCHES) {
      engine.parallel = batch < PROBE_BATCHES || (batch === 2 * PROBE_BATCHES && probe.parallel <= probe.serial);
    }
    const started = performance.now();
    const { loss, correct } = engine.trainBatch(start, size, deriveSeed(seed, 4, plan.epoch, batch));
    if (timed && batch % PROBE_BATCHES !== 0 && batch < 2 * PROBE_BATCHES) {
      probe[batch < PROBE_BATCHES ? 'parallel' : 'serial'] += performance.now() - started;
    }
    lossSum += loss;
    correctSum += correct;
    seen += size;
    plan.onBatchEnd(batch, { loss: loss / size, acc: correct / size, size });
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    if (plan.signal?.aborted) break;
  }
  return { loss: lossSum / Math.max(1, seen), acc: correctSum / Math.max(1, seen) };
}
