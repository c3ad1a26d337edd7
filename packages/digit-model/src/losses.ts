import type * as tf from '@tensorflow/tfjs';

/**
 * Whether the model is compiled with sparse categorical cross-entropy, which takes each sample's
 * class index as its target (one column) instead of a one-hot row. Both trainers compute the same
 * loss either way; only the targets tfjs is given differ.
 */
export function hasSparseLabels(model: tf.LayersModel): boolean {
  const loss = (model as unknown as { loss?: unknown }).loss;
  return loss === 'sparseCategoricalCrossentropy' || loss === 'sparse_categorical_crossentropy';
}

/** Whether the model's loss is categorical cross-entropy, one-hot or sparse. */
export function hasCategoricalCrossentropy(model: tf.LayersModel): boolean {
  const loss = (model as unknown as { loss?: unknown }).loss;
  return loss === 'categoricalCrossentropy' || loss === 'categorical_crossentropy' || hasSparseLabels(model);
}
