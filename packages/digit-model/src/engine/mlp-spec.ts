import type * as tf from '@tensorflow/tfjs';
import type { EngineActivation } from './engine';
import { hasCategoricalCrossentropy } from '../losses';
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
  /** Each hidden Dense layer's activation (the last entry, the classifier's, is 'linear': softmax follows). */
  activations: EngineActivation[];
}

/** What the engine trains: the layers, compiled with categorical cross-entropy and an optimizer it runs. */
export interface MlpSpec extends MlpLayers {
  optimizer: OptimizerSpec;
}

type Config = Record<string, unknown>;

/**
 * Reads the model the engine can train, or says why it cannot: the layers `readMlpLayers` accepts,
 * all trainable and unconstrained, compiled with categorical cross-entropy (one-hot or sparse) and Adam, SGD, Momentum
 * or RMSprop (not centered).
 */
export function readMlpSpec(model: tf.LayersModel): MlpSpec | string {
  if (!hasCategoricalCrossentropy(model)) {
    return `loss ${JSON.stringify((model as unknown as { loss?: unknown }).loss)} is not categorical cross-entropy (one-hot or sparse)`;
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
 * Dense -> activation (relu, sigmoid, tanh or linear: the Dense's own, or an Activation or ReLU
 * layer after a linear Dense) -> optional Dropout on one flat input, ending in a Dense with softmax;
 * float32 weights with biases.
 */
export function readMlpLayers(model: tf.LayersModel): MlpLayers | string {
  const inputShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || inputShape?.length !== 2 || !inputShape[1]) {
    return 'not a model of one flat input and one output';
  }
  const dense: tf.layers.Layer[] = [];
  const units: number[] = [];
  const dropout: number[] = [];
  const activations: EngineActivation[] = [];
  const last = () => dense.length - 1;
  // states: 'dense' (expecting the first Dense), 'act' (after a linear Dense: an activation layer,
  // Dropout or the next Dense may follow), 'drop' (after the activation: Dropout or the next Dense),
  // 'done' (after the softmax)
  let state: 'dense' | 'act' | 'drop' | 'done' = 'dense';
  for (const layer of model.layers) {
    const name = layer.getClassName();
    const config = layer.getConfig() as Config;
    if (name === 'InputLayer') continue;
    if (state === 'done') return `layer ${layer.name} (${name}) follows the softmax`;
    if (name === 'Dense') {
      const reason = denseProblem(layer, config);
      if (reason) return reason;
      dense.push(layer);
      units.push(config['units'] as number);
      dropout.push(0);
      activations.push('linear');
      const activation = config['activation'];
      if (activation === 'softmax') state = 'done';
      else if (activation === 'linear') state = 'act';
      else if (isHiddenActivation(activation)) {
        activations[last()] = activation;
        state = 'drop';
      } else return `Dense layer ${layer.name} has activation ${String(activation)}`;
      continue;
    }
    const activation =
      name === 'Activation' ? config['activation'] : name === 'ReLU' && config['maxValue'] == null ? 'relu' : name === 'Softmax' ? 'softmax' : undefined;
    if (activation !== undefined && state === 'act' && dropout[last()] === 0) {
      if (activation === 'softmax') state = 'done';
      else if (isHiddenActivation(activation)) {
        activations[last()] = activation;
        if (activation !== 'linear') state = 'drop';
      } else return `layer ${layer.name} has activation ${String(activation)}`;
      continue;
    }
    if (name === 'Dropout' && (state === 'act' || state === 'drop') && dropout[last()] === 0 && config['noiseShape'] == null) {
      const rate = config['rate'] as number;
      if (!(rate >= 0 && rate < 1)) return `Dropout layer ${layer.name} has rate ${rate}`;
      dropout[last()] = rate;
      state = 'drop';
      continue;
    }
    return `layer ${layer.name} (${name}) is not part of a Dense/activation/Dropout/softmax stack`;
  }
  if (state !== 'done') return 'the model does not end in a Dense layer with softmax';
  if (dense.length > MAX_LAYERS) return `more than ${MAX_LAYERS} Dense layers`;
  return { inputSize: inputShape[1], dense, units, dropout, activations };
}

function isHiddenActivation(activation: unknown): activation is EngineActivation {
  return activation === 'relu' || activation === 'linear' || activation === 'sigmoid' || activation === 'tanh';
}

function denseProblem(layer: tf.layers.Layer, config: Config): string | undefined {
  if (config['useBias'] === false) return `Dense layer ${layer.name} has no bias`;
  if (layer.weights.some((w) => w.dtype !== 'float32')) return `Dense layer ${layer.name} is not float32`;
  return undefined;
}
