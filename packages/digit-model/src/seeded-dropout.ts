import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from './seeds';

interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/**
 * Keras Dropout whose masks are reproducible and different on every training call.
 *
 * tfjs's own Dropout passes its fixed `seed` to every call, so a seeded layer drops the same units
 * on every batch; an unseeded one is not reproducible. This layer draws call n's mask from
 * deriveSeed(seed, n). It serialises as a plain `Dropout` (same className and config), so saved
 * models load back as the standard layer; it is deliberately not registered with tfjs.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'Dropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs['training'] || this.rate <= 0 || this.rate >= 1) return input;
    const seed = deriveSeed(this.seed, this.calls++);
    return tf.dropout(input, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
