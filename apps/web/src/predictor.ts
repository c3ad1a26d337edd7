import { isDigitsError, normalize, preprocessImage, type RawImage } from '@digits/mnist-data';
import { enginePredictionProblem, predictClasses, predictProbabilities, readProbabilities, type DigitReading } from '@digits/model';
import type * as tf from '@tensorflow/tfjs';
import type { ActiveModel } from './model-source';

export interface Reading {
  /** The 784 values (0..1, white ink on black) the model received. */
  pixels: Float32Array;
  probabilities: Float32Array;
  digit: number;
  /** Top digit, probability, margin, entropy and the "not sure" verdict (@digits/model). */
  verdict: DigitReading;
}

/** Holds the active model and reads images with it through the shared MNIST-style preprocessing. */
export class Predictor {
  private active: ActiveModel | null = null;
  private readonly listeners = new Set<(active: ActiveModel) => void>();
  /** Models another view still uses (the comparison's model B): not disposed when replaced. */
  private readonly retained = new Set<tf.LayersModel>();

  get current(): ActiveModel | null {
    return this.active;
  }

  use(next: ActiveModel, { dispose = true } = {}): void {
    const previous = this.active;
    this.active = next;
    if (dispose && previous && previous.model !== next.model && !this.retained.has(previous.model)) previous.model.dispose();
    for (const listener of this.listeners) listener(next);
  }

  /** Keeps `model` alive when it stops being the active one, until release(). */
  retain(model: tf.LayersModel): void {
    this.retained.add(model);
  }

  /** Ends retain(); disposes the model unless it is the active one. */
  release(model: tf.LayersModel): void {
    this.retained.delete(model);
    if (this.active?.model !== model) model.dispose();
  }

  onChange(listener: (active: ActiveModel) => void): void {
    this.listeners.add(listener);
  }

  /** Where predictions run: the digits engine (on the engine backend, for the models it supports) or tfjs, and why. */
  get runsOn(): string {
    if (!this.active) return 'no model';
    const problem = enginePredictionProblem(this.active.model);
    return problem ? `tfjs: ${problem}` : 'the digits engine';
  }

  /** One prediction on a blank input: compiles the backend's kernels before the visitor draws. */
  warmUp(): void {
    if (this.active) predictProbabilities(this.active.model, new Float32Array(784));
  }

  /** Returns null for a blank image (nothing to read yet). */
  read(image: RawImage): Reading | null {
    if (!this.active) return null;
    let pixels: Float32Array;
    try {
      pixels = preprocessImage(image).pixels;
    } catch (error) {
      if (isDigitsError(error, 'NO_INK')) return null;
      throw error;
    }
    const probabilities = predictProbabilities(this.active.model, pixels);
    const verdict = readProbabilities(probabilities);
    return { pixels, probabilities, digit: verdict.digit, verdict };
  }

  /** Predicted classes for MNIST images (n*784 bytes). */
  classify(images: Uint8Array): Int32Array {
    if (!this.active) return new Int32Array(0);
    return predictClasses(this.active.model, normalize(images));
  }
}
