// `@digits/model/engine`: the engine's runtime object, for programs that want their own beside the
// built-in one of the 'engine' backend (e.g. configured differently, attached without selecting
// that backend, disposed when done), and the built-in one itself.
export { EngineRuntime, type EngineUsage } from './runtime';
export { builtinEngine, configureEngine, engineProblem, enginePredictionProblem } from './backend';
export type { EngineSettings } from './settings';
