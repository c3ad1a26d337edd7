import { DigitsError } from '@digits/mnist-data';
import type { EpochPlan, TrainerContext, TrainerSession } from '../trainer';
import { trainEpochIn, type BatchTrainer } from './epoch-loop';
import type { OptimizerSpec } from './optimizers';
import { loadOptimizerState, saveOptimizerState, type OptimizerStateHolder, type StateSlots } from './optimizer-state';
import type { EngineSettings } from './settings';

/** What a session needs of an engine (the MLP engine and the program engine both are one). */
export interface SessionEngine extends BatchTrainer, OptimizerStateHolder {
  readonly threads: number;
  readonly memoryBytes: number;
  readonly timings: { job: number; update: number; batches: number };
  dispose(): Promise<void>;
}

/**
 * A training session in one of the engines: starts the engine on the first epoch (sized for the
 * split), copies the model's weights and the optimizer's state in, trains each epoch's batches, and
 * on `syncToModel` writes the weights and the optimizer's state back into the tfjs model in tfjs'
 * own layout and order (iterations, then tfjs' slots: Adam's m and v, Momentum's accumulation,
 * RMSprop's rms and momentum). So checkpoints, evaluation and saving (includeOptimizer too) see
 * exactly what tfjs training would have left there, and either trainer resumes the other's state.
 * Subclasses say how their engine is made and where each weight lives in it.
 */
export abstract class EngineSession<E extends SessionEngine> implements TrainerSession {
  private engine: E | undefined;

  /** `settings` is the runtime's (read when the engine starts and at each epoch, so `configure` applies to the next). */
  constructor(
    protected readonly context: TrainerContext,
    protected readonly settings: Readonly<EngineSettings>,
    private readonly optimizer: OptimizerSpec,
    private readonly pixels: number,
  ) {}

  /** The running engine (after the first epoch started): threads, whether they run in parallel, timings, memory. */
  get engineInfo(): Pick<E, 'threads' | 'parallel' | 'timings' | 'hasWorkers' | 'memoryBytes'> | undefined {
    return this.engine;
  }

  async trainEpoch(plan: EpochPlan): Promise<{ loss: number; acc: number }> {
    const engine = (this.engine ??= await this.start(plan));
    this.setData(engine, plan);
    return trainEpochIn(engine, plan, this.context.seed, this.settings.adaptive !== false);
  }

  async syncToModel(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    this.writeWeights(engine);
    await saveOptimizerState(this.context.model.optimizer, this.optimizer, engine, this.variables(engine));
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
    this.engine = undefined;
  }

  /** A new engine for this split. */
  protected abstract create(plan: EpochPlan): Promise<E>;
  /** Copies the model's weights into the engine. */
  protected abstract loadWeights(engine: E): void;
  /** Writes the engine's weights into the model's layers. */
  protected abstract writeWeights(engine: E): void;
  /** The model's trainable variables in the optimizer's order (model.trainableWeights), each with its engine buffers. */
  protected abstract variables(engine: E): StateSlots[];
  /** Gives the engine this epoch's split and order. */
  protected abstract setData(engine: E, plan: EpochPlan): void;

  private async start(plan: EpochPlan): Promise<E> {
    if (plan.pixels !== this.pixels) {
      throw new DigitsError('MODEL_SHAPE_MISMATCH', `the model takes ${this.pixels} inputs, the data has ${plan.pixels} pixels`);
    }
    const engine = await this.create(plan);
    try {
      this.loadWeights(engine);
      await loadOptimizerState(this.context.model.optimizer, this.optimizer, engine, this.variables(engine));
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return engine;
  }
}
