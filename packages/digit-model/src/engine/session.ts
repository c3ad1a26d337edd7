import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import type { EpochPlan, TrainerContext, TrainerSession } from '../trainer';
import { Engine } from './engine';
import { trainEpochIn } from './epoch-loop';
import type { MlpSpec } from './mlp-spec';
import { stateSlots } from './optimizers';
import { requestedThreads, type EngineSettings } from './settings';

type Slot = 'W' | 'b';
/** The engine's buffers for the optimizer's state slots, in `stateSlots` order. */
const ENGINE_SLOT = ['m', 'v'] as const;

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

  /** The model's variables in the optimizer's order (model.trainableWeights), as (layer, slot). */
  private slots(): { layer: number; slot: Slot; name: string }[] {
    return this.context.model.trainableWeights.map((variable) => {
      for (let layer = 0; layer < this.spec.dense.length; layer++) {
        const i = this.spec.dense[layer]!.trainableWeights.indexOf(variable);
        if (i >= 0) return { layer, slot: i === 0 ? 'W' : 'b', name: variable.name };
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
    const optimizer = this.context.model.optimizer;
    const state = await optimizer.getWeights();
    const [iter, ...moments] = state;
    engine.iterations = iter ? (await iter.tensor.data())[0]! : 0;
    iter?.tensor.dispose();
    const slots = this.slots();
    const kinds = stateSlots(this.spec.optimizer);
    if (kinds.length > 0 && moments.length === kinds.length * slots.length) {
      kinds.forEach((_, k) =>
        slots.forEach(({ layer, slot }, i) => {
          const values = moments[k * slots.length + i]!.tensor.dataSync() as Float32Array;
          engine.write(layer, `${ENGINE_SLOT[k]!}${slot}`, values, this.inputs[layer]!, this.spec.units[layer]!);
        }),
      );
    }
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
    const optimizer = this.context.model.optimizer;
    const old = await optimizer.getWeights();
    const slots = this.slots();
    const shape = (layer: number, slot: Slot) => (slot === 'W' ? [inputs[layer]!, spec.units[layer]!] : [spec.units[layer]!]);
    const state = stateSlots(spec.optimizer).flatMap((suffix, k) =>
      slots.map(({ layer, slot, name }) => ({
        name: `${name}/${suffix}`,
        tensor: tf.tensor(engine.read(layer, `${ENGINE_SLOT[k]!}${slot}`, inputs[layer]!, spec.units[layer]!), shape(layer, slot)),
      })),
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
