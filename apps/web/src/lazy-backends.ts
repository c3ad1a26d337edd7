import * as tf from '@tensorflow/tfjs';

/**
 * tfjs's CPU backend, registered under its usual name but imported only when selected (the last
 * resort of `selectBackend('auto')`, or `?backend=cpu`). Importing the package registers its kernels
 * and tries to register its own factory too; ours is already there, so tfjs keeps ours (with a warning).
 */
export function registerLazyCpuBackend(): void {
  tf.registerBackend(
    'cpu',
    async () => {
      const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
      return new MathBackendCPU();
    },
    1,
  );
}

let webgl: Promise<unknown> | undefined;

/** Imports (once) and thereby registers tfjs's WebGL backend and its kernels. */
export function loadWebglBackend(): Promise<unknown> {
  webgl ??= import('@tensorflow/tfjs-backend-webgl');
  return webgl;
}
