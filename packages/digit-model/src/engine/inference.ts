import type * as tf from '@tensorflow/tfjs';
import type { PredictorSession } from '../predictor';
import { Engine } from './engine';
import { readMlpLayers, type MlpLayers } from './mlp-spec';
import { compileProgram, type Program } from './program/compile';
import { ProgramEngine } from './program/engine';
import { memoryProblem } from './program/plan';
import { requestedThreads, type EngineSettings } from './settings';

/** Samples per engine pass (split between the threads): MLPs, and programs (whose maps are larger). */
const CHUNK = 1024;
const PROGRAM_CHUNK = 256;

/** An MLP on the MLP engine, or another supported model as a compiled program (with its shapes as a key). */
type Runnable = { kind: 'mlp'; layers: MlpLayers } | { kind: 'program'; program: Program; shapes: string };

function runnable(model: tf.LayersModel, threads: number): Runnable | string {
  const layers = readMlpLayers(model);
  if (typeof layers !== 'string') return { kind: 'mlp', layers };
  const program = compileProgram(model);
  if (typeof program === 'string') return program;
  const shapes = JSON.stringify(program.ops.map(({ layer: _layer, params: _params, ...shape }) => shape));
  return memoryProblem(program, PROGRAM_CHUNK, threads, true) ?? { kind: 'program', program, shapes };
}

/**
 * The inference engine of a runtime: one engine, kept for the last network shape it ran (so a page
 * or a training run predicting the same model again pays nothing to start it), rebuilt when the shape
 * or the thread count changes, freed by `dispose`. It holds the weights it last read and reads them
 * again only when the model's variables changed.
 */
export class InferenceEngine {
  private cached: { key: string; engine: Engine | ProgramEngine; weights: object[] } | undefined;
  /** Why the engine cannot start on this platform (found once, e.g. a page that may not compile wasm synchronously). */
  private unavailable: string | undefined;
  /**
   * What each model compiled to, so that a page predicting stroke after stroke does not compile it
   * every time; kept while the model's layers and the thread count stay the same (a Sequential can
   * `pop()` a layer).
   */
  private readonly compiled = new WeakMap<tf.LayersModel, { layers: tf.layers.Layer[]; threads: number; what: Runnable | string }>();

  constructor(private readonly settings: Readonly<EngineSettings>) {}

  /** Why it would not run this model, or undefined when it would. */
  problem(model: tf.LayersModel): string | undefined {
    if (this.unavailable) return this.unavailable;
    const what = this.runnable(model);
    return typeof what === 'string' ? what : undefined;
  }

  /** A session predicting with the model's current weights, or why it cannot. */
  begin(model: tf.LayersModel): PredictorSession | string {
    if (this.unavailable) return this.unavailable;
    const what = this.runnable(model);
    if (typeof what === 'string') return what;
    let engine: Engine | ProgramEngine;
    try {
      engine = what.kind === 'mlp' ? this.engineFor(what.layers) : this.programEngineFor(what.program, what.shapes);
    } catch (error) {
      // e.g. a browser page, which may not compile wasm synchronously: tfjs predicts instead
      this.unavailable = `the engine could not start here: ${(error as Error).message}`;
      return this.unavailable;
    }
    if (what.kind === 'mlp') this.loadWeights(what.layers);
    else this.loadProgramWeights(what.program);
    return { predict: (input, count) => engine.predict(input, count) };
  }

  /** The engine it holds, if any (for `EngineRuntime.usage`). */
  get engine(): Engine | ProgramEngine | undefined {
    return this.cached?.engine;
  }

  /** Frees the engine's memory and worker threads; the next `begin` starts a new one. */
  async dispose(): Promise<void> {
    const engine = this.cached?.engine;
    this.cached = undefined;
    await engine?.dispose();
  }

  /**
   * Copies the model's weights into the engine unless it holds them already: tfjs never changes a
   * tensor's data in place, so a variable that was trained or set has a new dataId.
   */
  private loadWeights(layers: MlpLayers): void {
    const entry = this.cached!;
    const engine = entry.engine as Engine;
    const weights = layers.dense.flatMap((layer) => layer.getWeights());
    const ids = weights.map((w) => w.dataId);
    if (entry.weights.length === ids.length && ids.every((id, i) => id === entry.weights[i])) return;
    layers.dense.forEach((_, l) => {
      const inputs = l === 0 ? layers.inputSize : layers.units[l - 1]!;
      engine.write(l, 'W', weights[2 * l]!.dataSync() as Float32Array, inputs, layers.units[l]!);
      engine.write(l, 'b', weights[2 * l + 1]!.dataSync() as Float32Array, inputs, layers.units[l]!);
    });
    engine.commitWeights();
    entry.weights = ids;
  }

  /** loadWeights for a program: every op's weights, batchnorm's moving statistics too. */
  private loadProgramWeights(program: Program): void {
    const entry = this.cached!;
    const engine = entry.engine as ProgramEngine;
    const weights = program.ops.flatMap((op) => (op.params.length > 0 ? op.layer.getWeights() : []));
    const ids = weights.map((w) => w.dataId);
    if (entry.weights.length === ids.length && ids.every((id, i) => id === entry.weights[i])) return;
    let i = 0;
    for (const op of program.ops) for (const p of op.params) engine.write(p, weights[i++]!.dataSync() as Float32Array);
    engine.commitWeights();
    entry.weights = ids;
  }

  private runnable(model: tf.LayersModel): Runnable | string {
    const threads = requestedThreads(this.settings);
    const hit = this.compiled.get(model);
    const same = hit && hit.threads === threads && hit.layers.length === model.layers.length && hit.layers.every((l, i) => l === model.layers[i]);
    if (same) return hit.what;
    const what = runnable(model, threads);
    this.compiled.set(model, { layers: model.layers.slice(), threads, what });
    return what;
  }

  private programEngineFor(program: Program, shapes: string): ProgramEngine {
    const threads = requestedThreads(this.settings);
    const key = `program:${shapes}:${threads}`;
    if (this.cached?.key === key) return this.cached.engine as ProgramEngine;
    void this.dispose();
    const engine = ProgramEngine.createSync({ program, batchSize: PROGRAM_CHUNK, samples: PROGRAM_CHUNK, threads, prediction: true });
    this.cached = { key, engine, weights: [] };
    return engine;
  }

  private engineFor(layers: MlpLayers): Engine {
    const threads = requestedThreads(this.settings);
    const key = `${layers.inputSize}:${layers.units.join(',')}:${layers.activations.join(',')}:${threads}`;
    if (this.cached?.key === key) return this.cached.engine as Engine;
    void this.dispose();
    const engine = Engine.createSync({
      shape: { inputSize: layers.inputSize, units: layers.units, dropout: layers.units.map(() => 0), activations: layers.activations },
      batchSize: CHUNK,
      samples: CHUNK,
      threads,
      prediction: true,
    });
    this.cached = { key, engine, weights: [] };
    return engine;
  }
}
