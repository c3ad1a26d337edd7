/**
 * Bounds on model files, checked before anything is built or read in full: a small hostile file
 * (a config declaring a million units, an HDF5 dataset of 21000 x 21000 with no data behind it,
 * a zip member that inflates to gigabytes) ends in a DigitsError instead of gigabytes of memory.
 * The README's "Limits" lists them with their codes.
 */
export const MODEL_LIMITS = {
  /** Parameters of one model (what its config builds, what its weights store): 32 Mi, 128 MiB as float32. */
  maxParameters: 32 * 1024 * 1024,
  /** Any one dimension in a layer config (units, filters, kernel size, input shape, ...). */
  maxLayerDim: 65_536,
  /** model.json and a .keras zip's config.json: 32 MiB of JSON text. */
  maxJsonBytes: 32 * 1024 * 1024,
  /** A Keras .h5 / .keras file, or a .keras zip's model.weights.h5: 512 MiB (weights + optimizer state). */
  maxKerasFileBytes: 512 * 1024 * 1024,
} as const;

/** Bytes the weights of a model may take on disk: every parameter as float32, plus two optimizer moments each (Adam). */
export const MAX_WEIGHT_BYTES = MODEL_LIMITS.maxParameters * 4 * 3;
