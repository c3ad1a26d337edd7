import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backendNames, selectBackend } from './select';
import { releaseWebGpuBackend } from './webgpu';
import { gpuDeviceNodes, nodeSystem } from './webgpu-diagnose';
import { defaultImporter, probeWebGpu, type WebGpuOptions } from './webgpu-probe';

/** 'auto' order with WebGPU: tfjs-node-gpu, then WebGPU (a usable adapter only), then the CPU paths. */
process.env.EGL_PLATFORM ??= 'surfaceless';
const SOFTWARE_GL: WebGpuOptions = { dawnOptions: ['backend=opengles'], featureLevel: 'compatibility' };
const software = await probeWebGpu(SOFTWARE_GL);

afterEach(() => releaseWebGpuBackend());
afterAll(async () => {
  await tf.setBackend('cpu');
});

const names = (skipped: string[]) => skipped.map((line) => line.slice(0, line.indexOf(':')));

describe("selectBackend('auto') with webgpu", () => {
  it('lists webgpu as a backend, right after tensorflow-gpu', () => {
    expect(backendNames().slice(0, 3)).toEqual(['auto', 'tensorflow-gpu', 'webgpu']);
  });

  it('tries webgpu right after tensorflow-gpu and skips it with the reason when the package is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'webgpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const choice = await selectBackend('auto', { webgpu: { importer: () => Promise.reject(missing) } });
    expect(names(choice.skipped).slice(0, 2)).toEqual(['tensorflow-gpu', 'webgpu']);
    expect(choice.skipped[1]).toBe('webgpu: webgpu package not installed (npm install webgpu)');
    expect(choice.name).not.toBe('webgpu');
    expect(tf.getBackend()).toBe(choice.backend);
  });

  it('passes over webgpu without loading Dawn on a Linux machine with no GPU device node', async () => {
    const nodes = gpuDeviceNodes(nodeSystem());
    const dawnLoads: string[] = [];
    const importer = (specifier: string) => (dawnLoads.push(specifier), defaultImporter(specifier));
    const choice = await selectBackend('auto');
    if (nodes?.length === 0) {
      expect(choice.skipped[1]).toBe('webgpu: no GPU device on this machine (no /dev/dri render node, /dev/nvidia*, or /dev/dxg)');
    } else {
      expect(choice.skipped[1] ?? '').not.toMatch(/no GPU device on this machine/);
    }
    // asking for anything about Dawn (here: how to import it) probes as told
    const probed = await selectBackend('auto', { webgpu: { importer } });
    expect(dawnLoads).toEqual(['webgpu']);
    expect(probed.skipped[1] ?? '').not.toMatch(/no GPU device on this machine/);
  });

  it("skips webgpu on this machine with the probe's own reason unless it has a hardware adapter", async () => {
    const probe = await probeWebGpu();
    const choice = await selectBackend('auto', { webgpu: { importer: defaultImporter } });
    if (probe.available && !probe.software) {
      expect(choice.name).toBe('webgpu');
      expect(choice.reason).toContain(probe.adapter.device || probe.adapter.description);
    } else {
      const expected = probe.available ? /^webgpu: only a software WebGPU adapter was found/ : `webgpu: ${probe.reason}`;
      expect(choice.skipped[1]).toMatch(expected);
      expect(choice.name).not.toBe('webgpu');
    }
  });

  // Opt-in: Dawn's GLES path on Mesa llvmpipe crashed this test's worker process now and then once the
  // engine joined the auto order (a native crash, not an assertion); webgpu.test.ts keeps the numeric
  // check on the software adapter.
  it.runIf(software.available && process.env.DIGITS_TEST_WEBGPU_SOFTWARE === '1')('passes over a software adapter in auto, and uses it when allowed', async () => {
    const skipping = await selectBackend('auto', { webgpu: SOFTWARE_GL });
    expect(skipping.skipped[1]).toMatch(/^webgpu: only a software WebGPU adapter was found \(.*llvmpipe/);
    const using = await selectBackend('auto', { webgpu: { ...SOFTWARE_GL, allowSoftware: true } });
    expect(using.name).toBe('webgpu');
    expect(using.backend).toBe('webgpu');
    expect(names(using.skipped)).toEqual(['tensorflow-gpu']);
    expect(using.reason).toMatch(/^WebGPU \(Dawn\) on .*llvmpipe/);
  });

  it("selectBackend('webgpu') fails with the reason instead of falling back", async () => {
    const missing = Object.assign(new Error("Cannot find package 'webgpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(selectBackend('webgpu', { webgpu: { importer: () => Promise.reject(missing) } })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'webgpu package not installed (npm install webgpu)',
    });
  });
});
