export { DigitsError, isDigitsError, type DigitsErrorCode } from '@digits/mnist-data';
export { createMlp, createCnn, compileModel, countParameters } from './models';
export type { MlpOptions, CnnOptions, CompileOptions } from './models';
export { SeededDropout } from './seeded-dropout';
export { train } from './train';
export type { TrainOptions, EpochLog, History, AugmentOptions } from './train';
export { evaluate, predictProbabilities, predictClasses, confusionMatrix, classifyResults } from './predict';
export { registerTrainer } from './trainer';
export type { Trainer, TrainerContext, TrainerSession, EpochPlan } from './trainer';
export { selectBackend, registerBackendProvider, backendNames } from './backends/select';
export type { BackendName, BackendChoice, BackendProvider, SelectBackendOptions } from './backends/select';
export type { WasmOptions } from './backends/wasm';
export {
  enableEngine,
  disableEngine,
  enableEngineTraining,
  disableEngineTraining,
  enableEnginePrediction,
  disableEnginePrediction,
  enginePredictionProblem,
  engineThreads,
  configureEngine,
  type EngineSettings,
} from './engine';
export { probeWebGpu } from './backends/webgpu-probe';
export type { WebGpuProbe, WebGpuOptions, WebGpuAdapterInfo, WebGpuLimits } from './backends/webgpu-probe';
export { setupWebGpuBackend, releaseWebGpuBackend } from './backends/webgpu';
export type { WebGpuBackendInfo } from './backends/webgpu';
