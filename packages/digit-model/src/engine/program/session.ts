import * as tf from '@tensorflow/tfjs';
import type { EpochPlan, TrainerContext } from '../../trainer';
import { EngineSession } from '../engine-session';
import type { StateSlots } from '../optimizer-state';
import { requestedThreads, type EngineSettings } from '../settings';
import type { ParamLayout, TrainingProgram } from './compile';
import { ProgramEngine } from './engine';

/**
 * A training session of a compiled program in the program engine (program.c): every op's weights,
 * batchnorm's moving statistics too, in tfjs' layout.
 */
export class ProgramSession extends EngineSession<ProgramEngine> {
  private readonly params: ParamLayout[];

  constructor(
    context: TrainerContext,
    private readonly program: TrainingProgram,
    settings: Readonly<EngineSettings> = {},
  ) {
    super(context, settings, program.optimizer, program.pixels);
    this.params = program.ops.flatMap((op) => op.params);
  }

  protected create(plan: EpochPlan): Promise<ProgramEngine> {
    return ProgramEngine.create({
      program: this.program,
      batchSize: this.context.batchSize,
      samples: plan.labels.length,
      threads: requestedThreads(this.settings),
      optimizer: this.program.optimizer,
    });
  }

  protected setData(engine: ProgramEngine, plan: EpochPlan): void {
    engine.setData(plan.images, plan.labels, plan.order);
  }

  protected variables(engine: ProgramEngine): StateSlots[] {
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

  protected loadWeights(engine: ProgramEngine): void {
    for (const op of this.program.ops) {
      const values = op.layer.getWeights();
      op.params.forEach((p, i) => engine.write(p, values[i]!.dataSync() as Float32Array));
    }
    engine.commitWeights();
  }

  protected writeWeights(engine: ProgramEngine): void {
    for (const op of this.program.ops) {
      if (op.params.length === 0) continue;
      const tensors = op.params.map((p) => tf.tensor(engine.read(p), p.variable.shape as number[]));
      try {
        op.layer.setWeights(tensors);
      } finally {
        tensors.forEach((t) => t.dispose());
      }
    }
  }
}
