import * as tf from '@tensorflow/tfjs';
import { createRng, normalize, toCategorical, type Split } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { emptyDirImporter, importerWithOnly } from '../test-utils/empty-importer';
import { softwareWebGpuSkipReason } from '../test-utils/software-webgpu';
import { releaseWebGpuBackend, setupWebGpuBackend } from './webgpu';
import { WEBGPU_INSTALL_COMMAND, WEBGPU_PACKAGES } from './webgpu-packages';
import { defaultImporter, probeWebGpu, type WebGpuOptions, type WebGpuProbe } from './webgpu-probe';

/**
 * The numeric check needs a real adapter. We ask for a hardware one first; failing that, Mesa's
 * software OpenGL ES through Dawn's compatibility mode (llvmpipe: slow, but a complete WebGPU
 * implementation, so the tfjs kernels really run). Whether the tests run is the probe's own answer,
 * so a machine with an adapter cannot skip them.
 */
const SOFTWARE_GL: WebGpuOptions = { dawnOptions: ['backend=opengles'], featureLevel: 'compatibility', allowSoftware: true };
process.env.EGL_PLATFORM ??= 'surfaceless';

let options: WebGpuOptions = {};
let probe: WebGpuProbe = await probeWebGpu(options);
let skipReason = probe.available ? undefined : `hardware: ${probe.reason}`;
const softwareOff = softwareWebGpuSkipReason();
if (!probe.available && softwareOff) skipReason += `; software OpenGL ES: ${softwareOff}`;
else if (!probe.available) {
  const software = await probeWebGpu(SOFTWARE_GL);
  if (software.available) [options, probe] = [SOFTWARE_GL, software];
  else skipReason += `; software OpenGL ES: ${software.reason}`;
}
console.log(
  probe.available
    ? `webgpu numeric tests run on: ${JSON.stringify(probe.adapter)}${probe.software ? ' (software renderer)' : ''}`
    : `webgpu numeric tests skipped: ${skipReason}`,
);

afterEach(() => releaseWebGpuBackend());
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('setupWebGpuBackend without the GPU packages installed', () => {
  const INSTALL = 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';

  it('names both packages and the one command when neither resolves', async () => {
    await expect(setupWebGpuBackend({ importer: emptyDirImporter() })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: `webgpu and @tensorflow/tfjs-backend-webgpu are not installed (${INSTALL})`,
    });
  });

  it('names webgpu alone when only tfjs-backend-webgpu is there (as in the web app)', async () => {
    await expect(setupWebGpuBackend({ importer: importerWithOnly(['@tensorflow/tfjs-backend-webgpu'], defaultImporter) })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: `webgpu is not installed (${INSTALL})`,
    });
  });

  it('recommends the versions that package.json accepts as peers, both marked optional', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const [name, version] of Object.entries(WEBGPU_PACKAGES)) {
      expect(manifest.peerDependencies[name]).toBe(`^${version}`);
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(manifest.dependencies?.[name] ?? manifest.optionalDependencies?.[name]).toBeUndefined();
    }
    expect(WEBGPU_INSTALL_COMMAND).toBe(INSTALL);
  });
});

describe.skipIf(!probe.available)('webgpu backend on a real adapter', () => {
  it('says how to get tfjs-backend-webgpu when only it is missing', async () => {
    await expect(setupWebGpuBackend({ ...options, importer: importerWithOnly(['webgpu'], defaultImporter) })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: `@tensorflow/tfjs-backend-webgpu is not installed (npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0)`,
    });
  });

  it.runIf(probe.available && probe.software)('refuses a software adapter unless allowed', async () => {
    await expect(setupWebGpuBackend({ ...options, allowSoftware: false })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/^only a software WebGPU adapter was found \(.+\); the CPU engine is faster$/),
    });
  });

  it('becomes the active backend, names the adapter, and leaves no navigator behind', async () => {
    const hadNavigator = 'navigator' in globalThis;
    const info = await setupWebGpuBackend(options);
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.reason).toMatch(/^WebGPU \(Dawn\) on /);
    expect(probe.available && info.adapter).toEqual(probe.available && probe.adapter);
    expect('navigator' in globalThis).toBe(hadNavigator);
    // A second call reuses the backend.
    expect(await setupWebGpuBackend(options)).toBe(info);
    // Reads are asynchronous in WebGPU; a synchronous one fails with a message that says what to do.
    const x = tf.tensor1d([1, 2, 3]);
    const y = x.add(1);
    expect(Array.from(await y.data())).toEqual([2, 3, 4]);
    if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') {
      expect(() => y.dataSync()).toThrow('the webgpu backend cannot read a tensor synchronously here (dataSync/arraySync need OffscreenCanvas); use await tensor.data()');
    }
    tf.dispose([x, y]);
  });

  describe('a few training steps match the cpu backend', () => {
    let data: Split;
    beforeAll(async () => {
      data = (await loadMnist({ source: 'embedded', verify: false })).train;
    });

    /** Two dense layers, Keras' glorot_uniform drawn from our seeded PRNG, so both backends start equal. */
    function initialWeights(): { shape: number[]; values: Float32Array }[] {
      const rng = createRng(7);
      const glorot = (fanIn: number, fanOut: number) => {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        return Float32Array.from({ length: fanIn * fanOut }, () => (rng() * 2 - 1) * limit);
      };
      return [
        { shape: [784, 32], values: glorot(784, 32) },
        { shape: [32], values: new Float32Array(32) },
        { shape: [32, 10], values: glorot(32, 10) },
        { shape: [10], values: new Float32Array(10) },
      ];
    }

    async function trainSteps(steps: number, batch: number): Promise<{ losses: number[]; weights: Float32Array[]; leaked: number }> {
      const model = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [784], units: 32, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
      });
      const start = initialWeights().map(({ shape, values }) => tf.tensor(values, shape));
      model.setWeights(start);
      tf.dispose(start);
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      const losses: number[] = [];
      for (let step = 0; step < steps; step++) {
        const images = data.images.subarray(step * batch * 784, (step + 1) * batch * 784);
        const labels = data.labels.subarray(step * batch, (step + 1) * batch);
        const x = tf.tensor2d(normalize(images), [batch, 784]);
        const y = tf.tensor2d(toCategorical(labels), [batch, 10]);
        losses.push((await model.trainOnBatch(x, y)) as number);
        tf.dispose([x, y]);
      }
      const weights = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
      const before = tf.memory().numTensors;
      const probe = tf.tensor2d(normalize(data.images.subarray(0, 16 * 784)), [16, 784]);
      tf.dispose([model.predict(probe) as tf.Tensor, probe]);
      const leaked = tf.memory().numTensors - before;
      model.dispose();
      return { losses, weights, leaked };
    }

    it('five Adam steps of a small MLP on real MNIST: losses and weights within float32 tolerance', async () => {
      await tf.setBackend('cpu');
      const cpu = await trainSteps(5, 64);
      const info = await setupWebGpuBackend(options);
      expect(tf.getBackend()).toBe('webgpu');
      const gpu = await trainSteps(5, 64);
      console.log(`cpu losses ${cpu.losses.map((l) => l.toFixed(6))}; webgpu (${info.reason}) ${gpu.losses.map((l) => l.toFixed(6))}`);

      expect(cpu.losses[4]).toBeLessThan(cpu.losses[0]!); // it learned something
      for (let i = 0; i < 5; i++) expect(Math.abs(gpu.losses[i]! - cpu.losses[i]!)).toBeLessThan(1e-4 * Math.max(1, cpu.losses[i]!));
      let worst = 0;
      cpu.weights.forEach((w, i) => w.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - gpu.weights[i]![j]!)))));
      console.log(`largest weight difference after 5 steps: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
      expect(gpu.leaked).toBe(0);
    });
  });
});
