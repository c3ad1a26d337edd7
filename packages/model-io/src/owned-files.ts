/**
 * Every file digits writes into a model directory: the one place that says which files are ours.
 * The Node directory writer replaces a directory only when every entry in it is one of these (so a
 * user's README.md or src/ is never deleted), and apps write their extras under these names.
 */
export const MODEL_FILES = {
  /** the tfjs model.json: topology, weights manifest, model card, checkpoint state */
  model: 'model.json',
  /** the weights, as saveModel writes them */
  weights: 'weights.bin',
  /** the training history (Keras' history.history layout plus per-epoch logs) and as CSV */
  historyJson: 'history.json',
  historyCsv: 'history.csv',
  /** the tutorial's two training plots */
  accuracyPlot: 'accuracy.png',
  lossPlot: 'loss.png',
  /** what `digits evaluate` draws into the model directory by default */
  confusionPlot: 'confusion.png',
  misclassifiedPlot: 'misclassified.png',
  /** what `digits inspect` draws (into ./inspect by default, or wherever --out says) */
  inspectGrid: 'first-10-train.png',
  inspectHistogram: 'pixel-histogram.png',
} as const;

export type ModelFileName = (typeof MODEL_FILES)[keyof typeof MODEL_FILES];

/** Weight shards as the tfjs converter and `tf.io` name them (group1-shard1of2.bin). */
const WEIGHT_SHARD = /^group\d+-shard\d+of\d+\.bin$/;

const OWNED = new Set<string>(Object.values(MODEL_FILES));

/** True for model.json, weights.bin or a weight shard: the files that are the saved model itself. */
export function isSavedModelFile(name: string): boolean {
  return name === MODEL_FILES.model || name === MODEL_FILES.weights || WEIGHT_SHARD.test(name);
}

/** True for a file name digits may write (and so replace) in a model directory. */
export function isOwnedModelFile(name: string): boolean {
  return OWNED.has(name) || WEIGHT_SHARD.test(name);
}

/**
 * The entries of a directory listing that digits did not write, sub-directories with a trailing '/'.
 * digits writes only regular files: an entry with `isFile: false` that is no directory (a symbolic
 * link, a FIFO) is foreign whatever its name, shown as `name (not a regular file)`.
 */
export function foreignEntries(entries: { name: string; isDirectory: boolean; isFile?: boolean }[]): string[] {
  const special = (entry: { isDirectory: boolean; isFile?: boolean }) => !entry.isDirectory && entry.isFile === false;
  return entries
    .filter((entry) => entry.isDirectory || special(entry) || !isOwnedModelFile(entry.name))
    .map((entry) => (entry.isDirectory ? `${entry.name}/` : special(entry) ? `${entry.name} (not a regular file)` : entry.name))
    .sort();
}
