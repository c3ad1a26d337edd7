export { DIGITS_ERROR_CODES, DigitsError, isDigitsError, type DigitsErrorCode } from './errors';
export { assertBytes, assertString, assertOneOf, assertLayersModel, describeValue } from './arguments';
export { concatBytes } from './bytes';
export { MAX_IDX_BYTES, IDX_GUNZIP_SLACK, MAX_IMAGE_PIXELS, MAX_IMAGE_FILE_BYTES, MNIST_FILE_SIZES } from './limits';
export { readImageHeader, assertImageSize, type ImageHeader, type ImageFormat } from './image-header';
export { parseIdx, readIdxHeader, type IdxHeader, encodeIdx, isGzip, type IdxArray, type IdxData, type IdxDtype } from './idx';
export {
  datasetFromIdx,
  splitFromIdx,
  MNIST_CLASS_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  IDX_FILE_NAMES,
  type Dataset,
  type Split,
  type IdxFiles,
  type IdxFileNames,
} from './dataset';
export { normalize, toCategorical, classCounts, pixelHistogram } from './prepare';
export { imageAt, takeFirst, subset, shuffledIndices, splitValidation, batchIndices, gatherBatch } from './splits';
export { createRng } from './rng';
export { augment, transformImage, AUGMENT_DEFAULTS, type AugmentOptions, type Transform } from './augment';
export {
  preprocessImage,
  resampleArea,
  PREPROCESSING_SPEC,
  type RawImage,
  type Background,
  type PreprocessOptions,
  type PreprocessResult,
} from './preprocess';
export {
  drawnDigits,
  nonDigitDrawings,
  renderDrawing,
  drawingPixels,
  DRAWING_DEFAULTS,
  type Drawing,
  type DrawingKind,
  type DrawingVariation,
  type RGB,
} from './drawings';
export { DIGIT_GLYPHS, LETTER_GLYPHS, SHAPE_GLYPHS, arc, type Glyph, type Stroke, type Point } from './glyphs';
