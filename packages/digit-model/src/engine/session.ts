import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import type { EpochPlan, TrainerContext, TrainerSession } from '../trainer';
import { Engine } from './engine';
import { trainEpochIn } from './epoch-loop';
import type { MlpSpec } from './mlp-spec';
import { loadOptimizerState, saveOptimizerState, type StateSlots } from './optimizer-state';
import { requestedThreads, type EngineSettings } from './settings';

type Slot = 'W' | 'b';

/**
 * Trains an epoch at a time in the engine and writes the weights and the optimizer's state back
 * into the tfjs model on `syncToModel` (iterations, then tfjs' slots in its order: Adam's m and v,
 * Momentum's accumulation, RMSprop's rms and momentum), so checkpoints, evaluation and saving
 * (includeOptimizer too) see exactly what tfjs training would have left there, and either trainer
 * resumes the other's state.
 */
export class EngineSession implements TrainerSession {
  private engine: Engine | undefined;
  private readonly inputs: number[];

  /** `settings` is the runtime's (read when the engine starts and at each epoch, so `configure` applies to the next). */
  constructor(
    private readonly context: TrainerContext,
    private readonly spec: MlpSpec,
    private readonly settings: Readonly<EngineSettings> = {},
  ) {
    this.inputs = spec.units.map((_, l) => (l === 0 ? spec.inputSize : spec.units[l - 1]!));
  }

  /** The running engine (after the first epoch started): threads, whether they run in parallel, timings. */
  get engineInfo(): Pick<Engine, 'threads' | 'parallel' | 'timings' | 'hasWorkers' | 'memoryBytes'> | undefined {
    return this.engine;
  }

  async trainEpoch(plan: EpochPlan): Promise<{ loss: number; acc: number }> {
    const engine = (this.engine ??= await this.start(plan));
    engine.setData(plan.images, plan.labels, plan.order, this.spec.units[this.spec.units.length - 1]!);
    return trainEpochIn(engine, plan, this.context.seed, this.settings.adaptive !== false);
  }

  private async start(plan: EpochPlan): Promise<Engine> {
    const { spec } = this;
    if (plan.pixels !== spec.inputSize) {
      throw new DigitsError('MODEL_SHAPE_MISMATCH', `the model takes ${spec.inputSize} inputs, the data has ${plan.pixels} pixels`);
    }
    const engine = await Engine.create({
      shape: { inputSize: spec.inputSize, units: spec.units, dropout: spec.dropout, activations: spec.activations },
      batchSize: this.context.batchSize,
      samples: plan.labels.length,
      threads: requestedThreads(this.settings),
      optimizer: spec.optimizer,
    });
    try {
      await this.load(engine);
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return engine;
  }

  /** The model's variables in the optimizer's order (model.trainableWeights), each with its engine buffers. */
  private variables(engine: Engine): StateSlots[] {
    const { spec, inputs } = this;
    return this.context.model.trainableWeights.map((variable) => {
      for (let layer = 0; layer < spec.dense.length; layer++) {
        const i = spec.dense[layer]!.trainableWeights.indexOf(variable);
        if (i < 0) continue;
        const slot: Slot = i === 0 ? 'W' : 'b';
        const [rows, units] = [inputs[layer]!, spec.units[layer]!];
        return {
          name: variable.name,
          shape: slot === 'W' ? [rows, units] : [units],
          read: (k) => engine.read(layer, `${k}${slot}`, rows, units),
          write: (k, values) => engine.write(layer, `${k}${slot}`, values, rows, units),
        };
      }
      throw new Error(`trainable weight ${variable.name} is not a Dense kernel or bias`);
    });
  }

  private async load(engine: Engine): Promise<void> {
    this.spec.dense.forEach((layer, l) => {
      const [kernel, bias] = layer.getWeights();
      engine.write(l, 'W', kernel!.dataSync() as Float32Array, this.inputs[l]!, this.spec.units[l]!);
      engine.write(l, 'b', bias!.dataSync() as Float32Array, this.inputs[l]!, this.spec.units[l]!);
    });
    engine.commitWeights();
    await loadOptimizerState(this.context.model.optimizer, this.spec.optimizer, engine, this.variables(engine));
  }

  async syncToModel(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const { spec, inputs } = this;
    spec.dense.forEach((layer, l) => {
      const kernel = tf.tensor2d(engine.read(l, 'W', inputs[l]!, spec.units[l]!), [inputs[l]!, spec.units[l]!]);
      const bias = tf.tensor1d(engine.read(l, 'b', inputs[l]!, spec.units[l]!));
      try {
        layer.setWeights([kernel, bias]);
      } finally {
        kernel.dispose();
        bias.dispose();
      }
    });
    await saveOptimizerState(this.context.model.optimizer, spec.optimizer, engine, this.variables(engine));
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
    this.engine = undefined;
  }
}
