import { DigitsError } from '@digits/mnist-data';
import { isGroup, readStringAttr, readStringList, type H5Dataset, type H5File, type H5Group } from './h5';
import { MODEL_LIMITS } from './limits';

export interface KerasWeight {
  name: string;
  /** where it is stored, for messages: "dense_1/dense_1/kernel:0", "dense/vars/0" */
  path: string;
  shape: number[];
  values: Float32Array;
}

/** The stored weights of one layer, in the layer's weight order. */
export interface KerasLayerWeights {
  layerName: string;
  weights: KerasWeight[];
}

export interface LegacyH5Contents {
  modelConfig?: string;
  kerasVersion?: string;
  backend?: string;
  /** whether the file lists its layers (layer_names): false for HDF5 files that hold no Keras weights */
  hasLayerNames: boolean;
  /** layers with weights, in the file's layer_names order */
  layers: KerasLayerWeights[];
}

/**
 * Reads a Keras legacy HDF5 file (full model or save_weights): the layer order comes from the
 * `layer_names` attribute and each layer's datasets from its `weight_names`, never from guessed paths.
 */
export function readLegacyH5(h5: H5File, file: string, fileBytes = Number.POSITIVE_INFINITY): LegacyH5Contents {
  const budget = new WeightBudget(fileBytes, file);
  const root = h5 as H5Group;
  const modelWeights = root.get('model_weights');
  const weightsRoot = isGroup(modelWeights) ? modelWeights : root;
  const layerNames = readStringList(weightsRoot, 'layer_names');
  const contents: LegacyH5Contents = { hasLayerNames: layerNames !== undefined, layers: [] };
  const modelConfig = readStringAttr(root, 'model_config');
  const kerasVersion = readStringAttr(root, 'keras_version') ?? readStringAttr(weightsRoot, 'keras_version');
  const backend = readStringAttr(root, 'backend') ?? readStringAttr(weightsRoot, 'backend');
  if (modelConfig !== undefined) contents.modelConfig = modelConfig;
  if (kerasVersion !== undefined) contents.kerasVersion = kerasVersion;
  if (backend !== undefined) contents.backend = backend;
  if (layerNames === undefined) return contents;
  for (const layerName of layerNames) {
    const group = weightsRoot.get(layerName);
    if (!isGroup(group)) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `layer_names lists "${layerName}" but the file has no such group`, { file });
    }
    const weightNames = readStringList(group, 'weight_names') ?? [];
    if (weightNames.length === 0) continue;
    const weights = weightNames.map((name) => readWeight(group.get(name), name, `${layerName}/${name}`, budget));
    contents.layers.push({ layerName, weights });
  }
  return contents;
}

/**
 * Reads the weights file of a `.keras` zip: `layers/<name>/vars/<i>` (Keras 3), or the
 * `_layer_checkpoint_dependencies` and backslash-joined root groups Keras 2.13-2.15 wrote on Windows.
 * Layers come back in the file's group order; matching them to the model is the caller's job.
 */
export function readKeras3Weights(h5: H5File, file: string, fileBytes = Number.POSITIVE_INFINITY): KerasLayerWeights[] {
  const budget = new WeightBudget(fileBytes, file);
  const root = h5 as H5Group;
  const layers: KerasLayerWeights[] = [];
  const visitContainer = (container: H5Group) => {
    for (const layerName of container.keys()) {
      const group = container.get(layerName);
      if (isGroup(group)) collectLayer(group, layerName);
    }
  };
  const collectLayer = (group: H5Group, layerName: string) => {
    const vars = group.get('vars');
    if (!isGroup(vars)) return;
    const keys = vars.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
    if (keys.length === 0) return;
    layers.push({ layerName, weights: keys.map((k) => readWeight(vars.get(k), k, `${layerName}/vars/${k}`, budget)) });
  };
  for (const key of root.keys()) {
    const entity = root.get(key);
    if (!isGroup(entity)) continue;
    if (key === 'layers' || key === '_layer_checkpoint_dependencies') visitContainer(entity);
    const windows = /^(?:layers|_layer_checkpoint_dependencies)\\(.+)$/.exec(key);
    if (windows) collectLayer(entity, windows[1]!);
  }
  return layers;
}

/** Total stored parameters of a list of layers: what a config may build at most. */
export function storedParameters(layers: readonly KerasLayerWeights[]): number {
  return layers.reduce((sum, layer) => sum + layer.weights.reduce((n, w) => n + w.values.length, 0), 0);
}

/**
 * Checks each weight dataset from its HDF5 header before its values are read: at most
 * MODEL_LIMITS.maxParameters values in all (SHAPE_LIMIT), and an unfiltered (uncompressed)
 * dataset must fit in the file it comes from, since HDF5 fills never-written data with zeros
 * (a 2.7 MB file can declare a 21000 x 21000 dataset).
 */
class WeightBudget {
  private total = 0;
  constructor(
    private readonly fileBytes: number,
    readonly file: string,
  ) {}

  check(dataset: H5Dataset, where: string): void {
    const shape = dataset.shape ?? [];
    const values = shape.reduce((a, b) => a * b, 1);
    this.total += values;
    if (this.total > MODEL_LIMITS.maxParameters) {
      throw new DigitsError('SHAPE_LIMIT', `weight "${where}" has shape [${shape.join(', ')}]: with it the file's weights pass the limit of ${MODEL_LIMITS.maxParameters.toLocaleString('en-US')} parameters`, { file: this.file });
    }
    const bytes = values * (dataset.metadata.size || 1);
    if (bytes > this.fileBytes && dataset.filters.length === 0) {
      throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${where}" declares ${bytes} bytes of uncompressed data but the file has only ${this.fileBytes} bytes (its data is not stored)`, { file: this.file });
    }
  }
}

function readWeight(entity: unknown, name: string, where: string, budget: WeightBudget): KerasWeight {
  const file = budget.file;
  const dataset = entity as H5Dataset | null;
  if (!dataset || (dataset as { type?: string }).type !== 'Dataset') {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${where}" is listed but not stored in the file`, { file });
  }
  const shape = dataset.shape ?? [];
  budget.check(dataset, where);
  const value = dataset.value;
  let values: Float32Array;
  if (value instanceof Float32Array) values = value;
  else if (value instanceof Float64Array) values = Float32Array.from(value);
  else if (typeof value === 'number') values = Float32Array.of(value);
  else throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${where}" has unsupported dtype ${JSON.stringify(dataset.dtype)} (expected float32)`, { file });
  if (values.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new DigitsError('MODEL_WEIGHTS_INVALID', `weight "${where}" holds ${values.length} values for shape [${shape.join(', ')}]`, { file });
  }
  return { name, path: where, shape, values };
}
