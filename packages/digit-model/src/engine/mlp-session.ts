import * as tf from '@tensorflow/tfjs';
import type { EpochPlan, TrainerContext } from '../trainer';
import { Engine } from './engine';
import { EngineSession } from './engine-session';
import type { MlpSpec } from './mlp-spec';
import type { StateSlots } from './optimizer-state';
import { requestedThreads, type EngineSettings } from './settings';

type Slot = 'W' | 'b';

/** A training session of an MLP in the MLP engine (engine.c): its Dense layers' kernels and biases. */
export class MlpSession extends EngineSession<Engine> {
  private readonly inputs: number[];

  constructor(
    context: TrainerContext,
    private readonly spec: MlpSpec,
    settings: Readonly<EngineSettings> = {},
  ) {
    super(context, settings, spec.optimizer, spec.inputSize);
    this.inputs = spec.units.map((_, l) => (l === 0 ? spec.inputSize : spec.units[l - 1]!));
  }

  protected create(plan: EpochPlan): Promise<Engine> {
    const { spec } = this;
    return Engine.create({
      shape: { inputSize: spec.inputSize, units: spec.units, dropout: spec.dropout, activations: spec.activations },
      batchSize: this.context.batchSize,
      samples: plan.labels.length,
      threads: requestedThreads(this.settings),
      optimizer: spec.optimizer,
    });
  }

  protected setData(engine: Engine, plan: EpochPlan): void {
    engine.setData(plan.images, plan.labels, plan.order, this.spec.units[this.spec.units.length - 1]!);
  }

  protected variables(engine: Engine): StateSlots[] {
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

  protected loadWeights(engine: Engine): void {
    this.spec.dense.forEach((layer, l) => {
      const [kernel, bias] = layer.getWeights();
      engine.write(l, 'W', kernel!.dataSync() as Float32Array, this.inputs[l]!, this.spec.units[l]!);
      engine.write(l, 'b', bias!.dataSync() as Float32Array, this.inputs[l]!, this.spec.units[l]!);
    });
    engine.commitWeights();
  }

  protected writeWeights(engine: Engine): void {
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
  }
}
