export { DigitsError, isDigitsError, type DigitsErrorCode } from '@digits/mnist-data';
export { saveModel, loadModel, saveWithHandler, loadWithHandler, modelArtifacts, memoryHandler, type SaveOptions, type LoadedModel, type MemoryHandler } from './save-load';
export { createModelCard, MODEL_CARD_KEY, type ModelCard, type ModelCardInput, type ModelCardDataset, type LayerSummary, type DatasetLike } from './card';
export { quantizeArtifacts, toFloat16, toUint8, type QuantizeDtype } from './quantize';
export { validateArtifacts } from './artifacts';
export { importKeras, type ImportKerasOptions } from './keras-import';
export { exportKeras, type KerasFormat } from './keras-export';
export { detectContainer, type ContainerFormat } from './magic';
