export { engineBackend, enableEngine, disableEngine, enableEngineTraining, disableEngineTraining, engineThreads } from './backend';
export { engineTrainer, configureEngine, EngineSession, type EngineSettings } from './session';
export { enableEnginePrediction, disableEnginePrediction, enginePredictionProblem } from './predictor';
