/**
 * `@digits/model-io/files` (Node): the writer of digits' output files (plots, previews) and the
 * names digits owns, without loading tfjs (`@digits/model-io/node` does), so a command that draws
 * but needs no model (`digits inspect`) starts fast.
 */
export { DigitsError, isDigitsError, type DigitsErrorCode } from '@digits/mnist-data';
export { checkOutputFiles, writeOutputFiles, type OutputFilesOptions } from './node/output-files';
export { MODEL_FILES, isOwnedModelFile, isSavedModelFile, type ModelFileName } from './owned-files';
