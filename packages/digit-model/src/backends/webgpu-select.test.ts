import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { emptyDirImporter } from '../test-utils/empty-importer';
import { softwareWebGpuSkipReason } from '../test-utils/software-webgpu';
import { backendNames, selectBackend } from './select';
import { releaseWebGpuBackend } from './webgpu';
import { gpuDeviceNodes, nodeSystem } from './webgpu-diagnose';
import { defaultImporter, probeWebGpu, type WebGpuOptions } from './webgpu-probe';

/** 'auto' order with WebGPU: tfjs-node-gpu, then WebGPU (a usable adapter only), then the CPU paths. */
process.env.EGL_PLATFORM ??= 'surfaceless';
const SOFTWARE_GL: WebGpuOptions = { dawnOptions: ['backend=opengles'], featureLevel: 'compatibility' };
// probed only when the software-adapter test may run (probing starts Dawn on llvmpipe)
const software = softwareWebGpuSkipReason() ? undefined : await probeWebGpu(SOFTWARE_GL);

afterEach(() => releaseWebGpuBackend());
afterAll(async () => {
  await tf.setBackend('cpu');
});

const INSTALL = 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';
const names = (skipped: string[]) => skipped.map((line) => line.slice(0, line.indexOf(':')));

describe("selectBackend('auto') with webgpu", () => {
  it('lists webgpu as a backend, right after tensorflow-gpu', () => {
    expect(backendNames().slice(0, 3)).toEqual(['auto', 'tensorflow-gpu', 'webgpu']);
  });

  it('tries webgpu right after tensorflow-gpu and skips it with the reason when the packages are missing', async () => {
    const choice = await selectBackend('auto', { webgpu: { importer: emptyDirImporter() } });
    expect(names(choice.skipped).slice(0, 2)).toEqual(['tensorflow-gpu', 'webgpu']);
    expect(choice.skipped[1]).toBe(`webgpu: webgpu and @tensorflow/tfjs-backend-webgpu are not installed (${INSTALL})`);
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
    expect(dawnLoads).toEqual(['@tensorflow/tfjs-backend-webgpu', 'webgpu']);
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

  // Needs Mesa's software OpenGL ES through Dawn (Debian: libegl1 libegl-mesa0 libgles2), which is
  // opt-in: see test-utils/software-webgpu.ts. A skip says why, in the test name and on the console.
  const softwareSkip = softwareWebGpuSkipReason() ?? (software?.available === false ? `no software WebGPU adapter here: ${software.reason}` : undefined);
  if (softwareSkip) console.log(`software-adapter selection test skipped: ${softwareSkip}`);
  it.skipIf(softwareSkip !== undefined)(`passes over a software adapter in auto, and uses it when allowed${softwareSkip ? ` (skipped: ${softwareSkip})` : ''}`, async () => {
    const skipping = await selectBackend('auto', { webgpu: SOFTWARE_GL });
    expect(skipping.skipped[1]).toMatch(/^webgpu: only a software WebGPU adapter was found \(.*llvmpipe/);
    const using = await selectBackend('auto', { webgpu: { ...SOFTWARE_GL, allowSoftware: true } });
    expect(using.name).toBe('webgpu');
    expect(using.backend).toBe('webgpu');
    expect(names(using.skipped)).toEqual(['tensorflow-gpu']);
    expect(using.reason).toMatch(/^WebGPU \(Dawn\) on .*llvmpipe/);
  });

  it("selectBackend('webgpu') fails with the reason instead of falling back", async () => {
    await expect(selectBackend('webgpu', { webgpu: { importer: emptyDirImporter() } })).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: `webgpu and @tensorflow/tfjs-backend-webgpu are not installed (${INSTALL})`,
    });
  });
});
