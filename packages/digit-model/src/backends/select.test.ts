import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DigitsError } from '@digits/mnist-data';
import { backendNames, registerBackendProvider, selectBackend } from './select';

const installed = async (pkg: string) => import(/* @vite-ignore */ pkg).then(() => true, () => false);

describe('selectBackend', () => {
  it("'auto' skips the tfjs-node packages that are not installed, saying so, and runs the digits CPU engine", async () => {
    const choice = await selectBackend('auto');
    if (!(await installed('@tensorflow/tfjs-node-gpu')) && !(await installed('@tensorflow/tfjs-node'))) {
      expect(choice.skipped.find((s) => s.startsWith('tensorflow-gpu:'))).toMatch(
        /^tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed \(npm install @tensorflow\/tfjs-node-gpu/,
      );
      expect(choice.skipped.find((s) => s.startsWith('tensorflow:'))).toMatch(/^tensorflow: @tensorflow\/tfjs-node is not installed/);
      expect(choice.name).not.toMatch(/^tensorflow/);
      if (choice.name !== 'webgpu') {
        expect(choice.name).toBe('engine');
        expect(choice.reason).toMatch(/^digits CPU engine: training and prediction of Dense, Conv2D, pooling and batchnorm models in WebAssembly SIMD( with relaxed-SIMD FMAs)? on \d threads?/);
      }
    }
    expect(choice.backend).toBe(tf.getBackend());
    expect(choice.reason.length).toBeGreaterThan(0);
  });

  it("'wasm' loads the .wasm files from node_modules and reports the kernel overrides", async () => {
    const choice = await selectBackend('wasm');
    expect(choice).toMatchObject({ name: 'wasm', backend: 'wasm', skipped: [] });
    expect(choice.reason).toMatch(/WebAssembly SIMD with XNNPACK; digits kernels for BatchMatMul, Slice, Conv2DBackpropInput, MaxPoolGrad, Conv2DBackpropFilter$/);
    expect(tf.tidy(() => Array.from(tf.matMul([[1, 2]], [[3], [4]]).dataSync()))).toEqual([11]);
  });

  it('attaches the engine (trainer and predictor) only while the engine backend is selected, and frees it after', async () => {
    const { registeredTrainers } = await import('../trainer');
    const { registeredPredictors } = await import('../predictor');
    const { builtinEngine, engineProblem, enginePredictionProblem } = await import('../engine/backend');
    const { createMlp } = await import('../models');
    const { predictProbabilities } = await import('../predict');
    await selectBackend('engine');
    const model = createMlp({ hiddenUnits: [8, 8] });
    expect(registeredTrainers()).toContain(builtinEngine.trainer);
    expect(registeredPredictors()).toContain(builtinEngine.predictor);
    expect(engineProblem(model)).toBeUndefined();
    expect(enginePredictionProblem(model)).toBeUndefined();
    predictProbabilities(model, new Float32Array(784));
    expect(builtinEngine.usage().engines).toBe(1);
    // selecting it again deactivates the first activation: still attached once
    await selectBackend('engine');
    expect(registeredTrainers().filter((t) => t === builtinEngine.trainer)).toHaveLength(1);
    await selectBackend('wasm');
    expect(registeredTrainers()).not.toContain(builtinEngine.trainer);
    expect(registeredPredictors()).not.toContain(builtinEngine.predictor);
    expect(engineProblem(model)).toBe('the engine backend is not selected');
    expect(enginePredictionProblem(model)).toBe('the engine backend is not selected');
    expect(builtinEngine.usage()).toEqual({ sessions: 0, engines: 0, workers: 0, bytes: 0 });
    model.dispose();
  });

  it('deactivates a registered provider when another backend is selected', async () => {
    const events: string[] = [];
    const off = registerBackendProvider({
      name: 'test-cpu-hooks',
      description: 'the cpu backend with a deactivation hook',
      activate: async () => {
        await tf.setBackend('cpu');
        events.push('activate');
        return { reason: 'cpu with hooks', deactivate: () => void events.push('deactivate') };
      },
    });
    try {
      expect(await selectBackend('test-cpu-hooks')).toMatchObject({ name: 'test-cpu-hooks', reason: 'cpu with hooks' });
      expect(events).toEqual(['activate']);
      await selectBackend('cpu');
      expect(events).toEqual(['activate', 'deactivate']);
      await selectBackend('cpu');
      expect(events).toEqual(['activate', 'deactivate']);
    } finally {
      off();
    }
  });

  it("'cpu' switches to the cpu backend", async () => {
    expect(await selectBackend('cpu')).toMatchObject({ name: 'cpu', backend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('fails with BACKEND_UNAVAILABLE and how to get it, for a missing or unknown backend', async () => {
    if (!(await installed('@tensorflow/tfjs-node'))) {
      await expect(selectBackend('tensorflow')).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        message: expect.stringContaining('npm install @tensorflow/tfjs-node@4.22.0'),
      });
    }
    await expect(selectBackend('quantum')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/unknown backend 'quantum'; choose one of: auto, tensorflow-gpu, (.+, )?tensorflow, engine, wasm, cpu/),
    });
  });

  it('tries a registered provider where it asks to be in the auto order, and selects it by name', async () => {
    const off = registerBackendProvider({
      name: 'test-cpu',
      description: 'the cpu backend under another name',
      autoBefore: 'engine',
      activate: async () => {
        await tf.setBackend('cpu');
        return 'cpu, registered';
      },
    });
    try {
      expect(backendNames()).toContain('test-cpu');
      const auto = await selectBackend('auto');
      if (!auto.name.startsWith('tensorflow') && auto.name !== 'webgpu') {
        expect(auto).toMatchObject({ name: 'test-cpu', backend: 'cpu', reason: 'cpu, registered' });
      }
      expect(await selectBackend('test-cpu')).toMatchObject({ name: 'test-cpu', skipped: [] });
    } finally {
      off();
    }
    expect(backendNames()).not.toContain('test-cpu');
  });

  it('lists an unavailable registered provider among the skipped, and rethrows other errors', async () => {
    const off = registerBackendProvider({
      name: 'absent',
      description: 'a backend that is not there',
      autoBefore: 'engine',
      activate: async () => {
        throw new DigitsError('BACKEND_UNAVAILABLE', 'absent is not installed (npm install absent)');
      },
    });
    try {
      const choice = await selectBackend('auto');
      if (choice.name === 'engine') expect(choice.skipped).toContain('absent: absent is not installed (npm install absent)');
    } finally {
      off();
    }
    expect(() => registerBackendProvider({ name: 'wasm', description: '', activate: async () => '' })).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT' }),
    );
  });
});
