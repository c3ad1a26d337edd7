export { engineBackend, enableEngineTraining, disableEngineTraining, engineThreads } from './backend';
export { engineTrainer, configureEngine, EngineSession, type EngineSettings } from './session';
export { readMlpSpec, type MlpSpec } from './mlp-spec';
