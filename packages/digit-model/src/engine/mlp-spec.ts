import type * as tf from '@tensorflow/tfjs';
import { MAX_LAYERS } from './layout';
import { readOptimizer, type OptimizerSpec } from './optimizers';

/** What the engine runs: Dense layers with ReLU (+ dropout) between them and a softmax classifier. */
export interface MlpLayers {
  inputSize: number;
  /** The Dense layers, input to output. */
  dense: tf.layers.Layer[];
  units: number[];
  /** Dropout rate after each hidden Dense layer (0 for none; the last entry, the classifier's, is 0). */
  dropout: number[];
}

/** What the engine trains: the layers, compiled with categorical cross-entropy and an optimizer it runs. */
export interface MlpSpec extends MlpLayers {
  optimizer: OptimizerSpec;
}

type Config = Record<string, unknown>;

/**
 * Reads the model the engine can train, or says why it cannot: the layers `readMlpLayers` accepts,
 * all trainable and unconstrained, compiled with categorical cross-entropy and Adam, SGD, Momentum
 * or RMSprop (not centered).
 */
export function readMlpSpec(model: tf.LayersModel): MlpSpec | string {
  const loss = (model as unknown as { loss?: unknown }).loss;
  if (loss !== 'categoricalCrossentropy' && loss !== 'categorical_crossentropy') {
    return `loss ${JSON.stringify(loss)} is not categorical cross-entropy`;
  }
  const optimizer = readOptimizer(model.optimizer);
  if (typeof optimizer === 'string') return optimizer;
  const layers = readMlpLayers(model);
  if (typeof layers === 'string') return layers;
  for (const layer of layers.dense) {
    if (!layer.trainable) return `Dense layer ${layer.name} is frozen`;
    const config = layer.getConfig() as Config;
    for (const key of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']) {
      if (config[key] != null) return `Dense layer ${layer.name} has a ${key}`;
    }
  }
  return { ...layers, optimizer };
}

/**
 * Reads the layers the engine can run, or says why it cannot: a Sequential stack of
 * Dense -> ReLU (Dense activation, Activation or ReLU layer) -> optional Dropout on one flat input,
 * ending in a Dense with softmax; float32 weights with biases.
 */
export function readMlpLayers(model: tf.LayersModel): MlpLayers | string {
  const inputShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || inputShape?.length !== 2 || !inputShape[1]) {
    return 'not a model of one flat input and one output';
  }
  const dense: tf.layers.Layer[] = [];
  const units: number[] = [];
  const dropout: number[] = [];
  // states: 'dense' (expecting a Dense), 'act' (after a linear hidden Dense), 'drop' (after ReLU), 'done'
  let state: 'dense' | 'act' | 'drop' | 'softmax' | 'done' = 'dense';
  for (const layer of model.layers) {
    const name = layer.getClassName();
    const config = layer.getConfig() as Config;
    if (name === 'InputLayer') continue;
    if (state === 'done') return `layer ${layer.name} (${name}) follows the softmax`;
    if (name === 'Dense') {
      if (state === 'act') return `Dense layer ${dense[dense.length - 1]!.name} has no ReLU after it`;
      const reason = denseProblem(layer, config);
      if (reason) return reason;
      dense.push(layer);
      units.push(config['units'] as number);
      dropout.push(0);
      const activation = config['activation'];
      state = activation === 'relu' ? 'drop' : activation === 'softmax' ? 'done' : activation === 'linear' ? 'act' : 'dense';
      if (state === 'dense') return `Dense layer ${layer.name} has activation ${String(activation)}`;
      continue;
    }
    const activation =
      name === 'Activation' ? config['activation'] : name === 'ReLU' && config['maxValue'] == null ? 'relu' : name === 'Softmax' ? 'softmax' : undefined;
    if (activation !== undefined && state === 'act') {
      if (activation === 'relu') state = 'drop';
      else if (activation === 'softmax') state = 'done';
      else return `layer ${layer.name} has activation ${String(activation)}`;
      continue;
    }
    if (name === 'Dropout' && state === 'drop' && dropout[dropout.length - 1] === 0 && config['noiseShape'] == null) {
      const rate = config['rate'] as number;
      if (!(rate >= 0 && rate < 1)) return `Dropout layer ${layer.name} has rate ${rate}`;
      dropout[dropout.length - 1] = rate;
      continue;
    }
    return `layer ${layer.name} (${name}) is not part of a Dense/ReLU/Dropout/softmax stack`;
  }
  if (state !== 'done') return 'the model does not end in a Dense layer with softmax';
  if (dense.length > MAX_LAYERS) return `more than ${MAX_LAYERS} Dense layers`;
  return { inputSize: inputShape[1], dense, units, dropout };
}

function denseProblem(layer: tf.layers.Layer, config: Config): string | undefined {
  if (config['useBias'] === false) return `Dense layer ${layer.name} has no bias`;
  if (layer.weights.some((w) => w.dtype !== 'float32')) return `Dense layer ${layer.name} is not float32`;
  return undefined;
}
