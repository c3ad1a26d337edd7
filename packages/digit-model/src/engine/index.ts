// `@digits/model/engine`: the engine's runtime object, for programs that want their own beside the
// built-in one of the 'engine' backend (e.g. configured differently, attached without selecting
// that backend, disposed when done), and the built-in one itself.
export { EngineRuntime, type EngineUsage } from './runtime';
export { builtinEngine, configureEngine, engineProblem, enginePredictionProblem } from './backend';
export type { EngineSettings } from './settings';
export { enableRelaxedSimd, relaxedSimdAvailable } from './wasm-module';
// Every entry of every @digits library re-exports the one error class, so `instanceof` works whichever
// entry a caller imported.
export { DigitsError, isDigitsError, type DigitsErrorCode } from '@digits/mnist-data';
