import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import type { EpochPlan, TrainerContext, TrainerSession } from '../../trainer';
import { trainEpochIn } from '../epoch-loop';
import { stateSlots } from '../optimizers';
import { requestedThreads, type EngineSettings } from '../settings';
import type { ParamLayout, TrainingProgram } from './compile';
import { ProgramEngine } from './engine';

/** The engine's buffers for the optimizer's state slots, in `stateSlots` order. */
const ENGINE_SLOT = ['m', 'v'] as const;

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

  /** The model's trainable variables in the optimizer's order, each with its place in the engine. */
  private trainable(): ParamLayout[] {
    return this.context.model.trainableWeights.map((variable) => {
      const param = this.params.find((p) => p.variable === variable);
      if (!param) throw new Error(`trainable weight ${variable.name} is not in the compiled program`);
      return param;
    });
  }

  private async load(engine: ProgramEngine): Promise<void> {
    for (const op of this.program.ops) {
      const values = op.layer.getWeights();
      op.params.forEach((p, i) => engine.write(p, values[i]!.dataSync() as Float32Array));
    }
    engine.commitWeights();
    const state = await this.context.model.optimizer.getWeights();
    const [iter, ...moments] = state;
    engine.iterations = iter ? (await iter.tensor.data())[0]! : 0;
    iter?.tensor.dispose();
    const params = this.trainable();
    const kinds = stateSlots(this.program.optimizer);
    if (kinds.length > 0 && moments.length === kinds.length * params.length) {
      kinds.forEach((_, k) => params.forEach((p, i) => engine.write(p, moments[k * params.length + i]!.tensor.dataSync() as Float32Array, ENGINE_SLOT[k]!)));
    }
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
    const optimizer = this.context.model.optimizer;
    const old = await optimizer.getWeights();
    const params = this.trainable();
    const state = stateSlots(this.program.optimizer).flatMap((suffix, k) =>
      params.map((p) => ({ name: `${p.variable.name}/${suffix}`, tensor: tf.tensor(engine.read(p, ENGINE_SLOT[k]!), p.variable.shape as number[]) })),
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

  async dispose(): Promise<void> {
    await this.engine?.dispose();
    this.engine = undefined;
  }
}
