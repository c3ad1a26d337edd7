import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import type { EpochPlan, TrainerContext, TrainerSession } from '../../trainer';
import { trainEpochIn } from '../epoch-loop';
import { loadOptimizerState, saveOptimizerState, type StateSlots } from '../optimizer-state';
import { requestedThreads, type EngineSettings } from '../settings';
import type { ParamLayout, TrainingProgram } from './compile';
import { ProgramEngine } from './engine';


/**
 * Trains a compiled program an epoch at a time in the engine and writes the weights (batchnorm's
 * moving statistics too) and the optimizer's state back into the tfjs model on `syncToModel`, in
 * tfjs' own layout and slot order, so checkpoints, evaluation and saving see what tfjs training
 * would have left and either trainer resumes the other's state.
 */
export class ProgramSession implements TrainerSession {
  private engine: ProgramEngine | undefined;
  private readonly params: ParamLayout[];

  constructor(
    private readonly context: TrainerContext,
    private readonly program: TrainingProgram,
    private readonly settings: Readonly<EngineSettings> = {},
  ) {
    this.params = program.ops.flatMap((op) => op.params);
  }

  /** The running engine (after the first epoch started). */
  get engineInfo(): Pick<ProgramEngine, 'threads' | 'parallel' | 'timings' | 'hasWorkers' | 'memoryBytes'> | undefined {
    return this.engine;
  }

  async trainEpoch(plan: EpochPlan): Promise<{ loss: number; acc: number }> {
    const engine = (this.engine ??= await this.start(plan));
    engine.setData(plan.images, plan.labels, plan.order);
    return trainEpochIn(engine, plan, this.context.seed, this.settings.adaptive !== false);
  }

  private async start(plan: EpochPlan): Promise<ProgramEngine> {
    const { program } = this;
    if (plan.pixels !== program.pixels) {
      throw new DigitsError('MODEL_SHAPE_MISMATCH', `the model takes ${program.pixels} inputs, the data has ${plan.pixels} pixels`);
    }
    const engine = await ProgramEngine.create({
      program,
      batchSize: this.context.batchSize,
      samples: plan.labels.length,
      threads: requestedThreads(this.settings),
      optimizer: program.optimizer,
    });
    try {
      await this.load(engine);
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return engine;
  }

  /** The model's trainable variables in the optimizer's order, each with its engine buffers. */
  private variables(engine: ProgramEngine): StateSlots[] {
    return this.context.model.trainableWeights.map((variable) => {
      const param = this.params.find((p) => p.variable === variable);
      if (!param) throw new Error(`trainable weight ${variable.name} is not in the compiled program`);
      return {
        name: variable.name,
        shape: variable.shape as number[],
        read: (slot) => engine.read(param, slot),
        write: (slot, values) => engine.write(param, values, slot),
      };
    });
  }

  private async load(engine: ProgramEngine): Promise<void> {
    for (const op of this.program.ops) {
      const values = op.layer.getWeights();
      op.params.forEach((p, i) => engine.write(p, values[i]!.dataSync() as Float32Array));
    }
    engine.commitWeights();
    await loadOptimizerState(this.context.model.optimizer, this.program.optimizer, engine, this.variables(engine));
  }

  async syncToModel(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    for (const op of this.program.ops) {
      if (op.params.length === 0) continue;
      const tensors = op.params.map((p) => tf.tensor(engine.read(p), p.variable.shape as number[]));
      try {
        op.layer.setWeights(tensors);
      } finally {
        tensors.forEach((t) => t.dispose());
      }
    }
    await saveOptimizerState(this.context.model.optimizer, this.program.optimizer, engine, this.variables(engine));
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
    this.engine = undefined;
  }
}
