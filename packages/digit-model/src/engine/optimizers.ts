import type * as tf from '@tensorflow/tfjs';

/**
 * The optimizers the engine runs, with tfjs' hyper-parameters (tf.train.adam, sgd, momentum,
 * rmsprop; Keras' names map onto these when a model is compiled or imported).
 */
export type OptimizerSpec =
  | { kind: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number }
  | { kind: 'sgd'; learningRate: number }
  | { kind: 'momentum'; learningRate: number; momentum: number; useNesterov: boolean }
  | { kind: 'rmsprop'; learningRate: number; decay: number; momentum: number; epsilon: number };

/** The C side's OPT_* codes (engine-src/engine.c). */
export const OPTIMIZER_CODE = { adam: 0, sgd: 1, momentum: 2, rmsprop: 3 } as const;

/**
 * The names tfjs gives each trainable variable's state, in the order `getWeights()` lists them
 * after the iteration count: all variables' first slot, then all variables' second. The engine
 * keeps slot i in its 'm' (i = 0) or 'v' (i = 1) buffers.
 */
export function stateSlots(spec: OptimizerSpec): readonly string[] {
  switch (spec.kind) {
    case 'adam':
      return ['m', 'v'];
    case 'sgd':
      return [];
    case 'momentum':
      return ['momentum'];
    case 'rmsprop':
      return ['rms', 'momentum'];
  }
}

type Config = Record<string, unknown>;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads a tfjs optimizer the engine can run, or says why not. */
export function readOptimizer(optimizer: tf.Optimizer | undefined): OptimizerSpec | string {
  if (!optimizer) return 'the model is not compiled with an optimizer';
  const name = optimizer.getClassName();
  const c = optimizer.getConfig() as Config;
  // the spec of this kind from these config entries (all finite numbers), or why not
  const spec = <S extends OptimizerSpec>(kind: S['kind'], keys: string[], extra: object = {}): S | string => {
    const bad = keys.find((k) => !isNumber(c[k]));
    if (bad !== undefined) return `optimizer ${name} has ${bad} ${String(c[bad])}`;
    return { kind, ...Object.fromEntries(keys.map((k) => [k, c[k]])), ...extra } as S;
  };
  switch (name) {
    case 'Adam':
      return spec('adam', ['learningRate', 'beta1', 'beta2', 'epsilon']);
    case 'SGD':
      return spec('sgd', ['learningRate']);
    case 'Momentum':
      return spec('momentum', ['learningRate', 'momentum'], { useNesterov: c['useNesterov'] === true });
    case 'RMSProp':
      if (c['centered'] === true) return 'optimizer RMSProp is centered (the engine runs plain RMSprop)';
      return spec('rmsprop', ['learningRate', 'decay', 'momentum', 'epsilon']);
    default:
      return `optimizer ${name} is not Adam, SGD, Momentum or RMSProp`;
  }
}

/**
 * The values of the C update struct's hyper-parameter fields. `1 - x` is computed in float64 and
 * rounded once, as tfjs does when it makes a scalar of it.
 */
export function updateFields(spec: OptimizerSpec): {
  kind: number;
  nesterov: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  one_minus_beta1: number;
  one_minus_beta2: number;
} {
  const base = { kind: OPTIMIZER_CODE[spec.kind], nesterov: 0, lr: spec.learningRate, beta1: 0, beta2: 0, eps: 0 };
  switch (spec.kind) {
    case 'adam':
      return { ...base, beta1: spec.beta1, beta2: spec.beta2, eps: spec.epsilon, one_minus_beta1: 1 - spec.beta1, one_minus_beta2: 1 - spec.beta2 };
    case 'sgd':
      return { ...base, one_minus_beta1: 0, one_minus_beta2: 0 };
    case 'momentum':
      return { ...base, nesterov: spec.useNesterov ? 1 : 0, beta1: spec.momentum, one_minus_beta1: 0, one_minus_beta2: 0 };
    case 'rmsprop':
      return { ...base, beta1: spec.decay, beta2: spec.momentum, eps: spec.epsilon, one_minus_beta1: 1 - spec.decay, one_minus_beta2: 0 };
  }
}
