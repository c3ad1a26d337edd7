import type * as tf from '@tensorflow/tfjs';
import { registerPredictor, type Predictor, type PredictorSession } from '../predictor';
import { registerTrainer, type EpochPlan, type Trainer, type TrainerContext, type TrainerSession } from '../trainer';
import { InferenceEngine } from './inference';
import { readMlpSpec, type MlpSpec } from './mlp-spec';
import { MlpSession } from './mlp-session';
import { compileTraining, type TrainingProgram } from './program/compile';
import { memoryProblem } from './program/plan';
import { ProgramSession } from './program/session';
import { effectiveThreads, requestedThreads, updateSettings, type EngineSettings } from './settings';

/** What a runtime holds right now (`EngineRuntime.usage`). */
export interface EngineUsage {
  /** Training sessions begun and not yet disposed. */
  sessions: number;
  /** Engines started (the inference engine and each session's), each with its wasm memory. */
  engines: number;
  /** Worker threads those engines run. */
  workers: number;
  /** Bytes of wasm memory those engines hold. */
  bytes: number;
}

/** What a runtime's training sessions report about the engine they run. */
interface EngineInfo {
  readonly threads: number;
  readonly hasWorkers: boolean;
  readonly memoryBytes: number;
}

/** A training session (MLP or program) that tells its runtime when it is disposed. */
class RuntimeSession implements TrainerSession {
  constructor(
    private readonly inner: TrainerSession & { readonly engineInfo: EngineInfo | undefined },
    private readonly done: (session: RuntimeSession) => void,
  ) {}

  get engineInfo(): EngineInfo | undefined {
    return this.inner.engineInfo;
  }

  trainEpoch(plan: EpochPlan): Promise<{ loss: number; acc: number }> {
    return this.inner.trainEpoch(plan);
  }

  syncToModel(): void | Promise<void> {
    return this.inner.syncToModel();
  }

  async dispose(): Promise<void> {
    this.done(this);
    await this.inner.dispose();
  }
}

/**
 * The digits engine as one object: its settings, the `Trainer` and `Predictor` through which
 * `train()` and `predictProbabilities`/`predictClasses`/`evaluate` reach it, the cached inference
 * engine and the training sessions it started (each with its wasm memory and worker threads).
 *
 * Nothing is global: `attach()` registers its trainer and predictor (the 'engine' backend does that
 * on activation and undoes it when another backend is selected), `release()` frees the memory and
 * workers and keeps the settings, `dispose()` does both and refuses later work. Another runtime can
 * live beside it (e.g. one configured for one thread).
 */
export class EngineRuntime {
  private readonly settings: EngineSettings = {};
  private readonly inference: InferenceEngine;
  private readonly sessions = new Set<RuntimeSession>();
  /** The unregister functions of its `attach` calls still in effect. */
  private readonly detachers = new Set<() => void>();
  private disposed = false;

  /** Trains the MLPs `readMlpSpec` accepts and the models `compileTraining` compiles; says why not for the rest. */
  readonly trainer: Trainer;
  /** Predicts with the MLPs `readMlpLayers` accepts and the models `compileProgram` compiles; says why not for the rest. */
  readonly predictor: Predictor;

  constructor(settings: EngineSettings = {}) {
    updateSettings(this.settings, settings);
    this.inference = new InferenceEngine(this.settings);
    this.trainer = { name: 'engine', begin: (context) => this.beginTraining(context) };
    this.predictor = { name: 'engine', begin: (model) => this.beginPrediction(model) };
  }

  /** Changes how it runs from the next session or prediction on (e.g. `{ threads: 1 }`; undefined: the default). */
  configure(next: EngineSettings): void {
    updateSettings(this.settings, next);
  }

  /** Threads a session would use here: the configured count where workers and shared memory exist, else 1. */
  get threads(): number {
    return effectiveThreads(this.settings);
  }

  /** Whether its trainer and predictor are registered (by `attach`). */
  get attached(): boolean {
    return this.detachers.size > 0;
  }

  /** Why its trainer would not train this model, or undefined when it would. */
  trainingProblem(model: tf.LayersModel): string | undefined {
    if (this.disposed) return DISPOSED;
    const plan = trainingPlan(model);
    return typeof plan === 'string' ? plan : undefined;
  }

  /** Why its predictor would not run this model, or undefined when it would. */
  predictionProblem(model: tf.LayersModel): string | undefined {
    return this.disposed ? DISPOSED : this.inference.problem(model);
  }

  /**
   * Registers its trainer and predictor, so that `train()` and prediction use the engine for the
   * models it supports; returns the function that unregisters them (idempotent).
   */
  attach(): () => void {
    if (this.disposed) throw new Error(DISPOSED);
    const offTrainer = registerTrainer(this.trainer);
    const offPredictor = registerPredictor(this.predictor);
    const detach = () => {
      if (!this.detachers.delete(detach)) return;
      offTrainer();
      offPredictor();
    };
    this.detachers.add(detach);
    return detach;
  }

  /** What it holds now: sessions, engines, worker threads, bytes of wasm memory. */
  usage(): EngineUsage {
    const engines = [this.inference.engine, ...[...this.sessions].map((s) => s.engineInfo)].filter((e): e is EngineInfo => e !== undefined);
    return {
      sessions: this.sessions.size,
      engines: engines.length,
      workers: engines.reduce((n, e) => n + (e.hasWorkers ? e.threads - 1 : 0), 0),
      bytes: engines.reduce((n, e) => n + e.memoryBytes, 0),
    };
  }

  /**
   * Frees the inference engine and every open training session's engine (their memory and worker
   * threads); a training run still using one fails on its next batch. Settings and attachment stay.
   */
  async release(): Promise<void> {
    const sessions = [...this.sessions];
    this.sessions.clear();
    await Promise.all([this.inference.dispose(), ...sessions.map((s) => s.dispose())]);
  }

  /** Unregisters its trainer and predictor, frees what it holds (`release`) and refuses later work. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const detach of [...this.detachers]) detach();
    await this.release();
  }

  private beginTraining(context: TrainerContext): TrainerSession | string {
    if (this.disposed) return DISPOSED;
    const plan = trainingPlan(context.model);
    if (typeof plan === 'string') return plan;
    const memory = plan.kind === 'program' ? memoryProblem(plan.program, context.batchSize, requestedThreads(this.settings), false) : undefined;
    if (memory) return memory;
    const inner = plan.kind === 'mlp' ? new MlpSession(context, plan.spec, this.settings) : new ProgramSession(context, plan.program, this.settings);
    const session = new RuntimeSession(inner, (s) => this.sessions.delete(s));
    this.sessions.add(session);
    return session;
  }

  private beginPrediction(model: tf.LayersModel): PredictorSession | string {
    return this.disposed ? DISPOSED : this.inference.begin(model);
  }
}

const DISPOSED = 'the engine runtime was disposed';

/**
 * How the engine trains a model: an MLP of Dense layers on the MLP engine (its own kernels, the
 * fastest for that shape), any other model it supports as a compiled program; else why not (the
 * program compiler's reason: it accepts everything the MLP reader does and more).
 */
function trainingPlan(model: tf.LayersModel): { kind: 'mlp'; spec: MlpSpec } | { kind: 'program'; program: TrainingProgram } | string {
  const spec = readMlpSpec(model);
  if (typeof spec !== 'string') return { kind: 'mlp', spec };
  const program = compileTraining(model);
  return typeof program === 'string' ? program : { kind: 'program', program };
}
