import { describe, expect, it } from 'vitest';
import { emptyDirImporter } from '../test-utils/empty-importer';
import { defaultImporter, probeWebGpu, type GpuAdapterLike, type WebGpuOptions } from './webgpu-probe';

/** The error Node raises for `import('webgpu')` when the package is absent (checked below). */
function notFound(specifier: string): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/node_modules/@digits/model/dist/index.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

/** A `webgpu` module whose single adapter is `adapter`, for the logic that judges adapters. */
function dawnWith(adapter: GpuAdapterLike | null): WebGpuOptions['importer'] {
  return async () => ({ create: () => ({ requestAdapter: async () => adapter }), globals: {} });
}

const GOOD_LIMITS = {
  maxStorageBuffersPerShaderStage: 10,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBufferBindingSize: 2 ** 31,
  maxBufferSize: 2 ** 32,
};

function adapter(info: GpuAdapterLike['info'], limits: Record<string, number> = GOOD_LIMITS): GpuAdapterLike {
  return { info, limits, features: new Set(['timestamp-query', 'shader-f16']), requestDevice: async () => ({}) };
}

describe('probeWebGpu', () => {
  it('says the package is missing when importing it fails that way (the same error Node gives)', async () => {
    const real = await defaultImporter('digits-no-such-package').catch((error: unknown) => error);
    expect(real).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND', message: expect.stringContaining("'digits-no-such-package'") });

    const probe = await probeWebGpu({ importer: async (name) => Promise.reject(notFound(name)) });
    expect(probe).toEqual({ available: false, reason: 'webgpu is not installed (npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0)' });
    // and when Node's resolver really finds nothing (require's wording, as from the CJS build)
    expect(await probeWebGpu({ importer: emptyDirImporter() })).toEqual(probe);
  });

  it('tells a broken install (no dawn.node for this platform, missing dependency) from an absent one', async () => {
    const noBinary = Object.assign(new Error("Cannot find module '/x/node_modules/webgpu/dist/linux-riscv64/dawn.node'\nRequire stack: ..."), {
      code: 'MODULE_NOT_FOUND',
    });
    expect(await probeWebGpu({ importer: async () => Promise.reject(noBinary) })).toEqual({
      available: false,
      reason: "webgpu package failed to load: Cannot find module '/x/node_modules/webgpu/dist/linux-riscv64/dawn.node'",
    });
    const probe = await probeWebGpu({ importer: async () => Promise.reject(notFound('debug')) });
    expect(probe).toMatchObject({ available: false, reason: expect.stringMatching(/^webgpu package failed to load: Cannot find package 'debug'/) });
  });

  it('reports a Dawn that fails to start or to answer, in one line', async () => {
    const throwing: WebGpuOptions['importer'] = async () => ({
      create: () => {
        throw new Error('Error: no suitable backends found\nAvailable adapters: ...');
      },
      globals: {},
    });
    expect(await probeWebGpu({ importer: throwing })).toEqual({
      available: false,
      reason: 'webgpu package failed to start Dawn: Error: no suitable backends found',
    });
    const rejecting: WebGpuOptions['importer'] = async () => ({
      create: () => ({ requestAdapter: () => Promise.reject(new Error('device lost\ndetails')) }),
      globals: {},
    });
    expect(await probeWebGpu({ importer: rejecting })).toEqual({ available: false, reason: 'WebGPU adapter request failed: device lost' });
  });

  it('explains a missing adapter from what is installed', async () => {
    const probe = await probeWebGpu({ importer: dawnWith(null) });
    expect(probe.available).toBe(false);
    if (probe.available) return;
    expect(probe.reason).toMatch(/^no WebGPU adapter: /);
    expect(probe.reason).not.toContain('\n');
  });

  it('refuses an adapter below the limits tfjs-backend-webgpu needs', async () => {
    const small = adapter({ vendor: 'acme', architecture: 'tiny', device: 'T1' }, { ...GOOD_LIMITS, maxStorageBuffersPerShaderStage: 4 });
    expect(await probeWebGpu({ importer: dawnWith(small) })).toEqual({
      available: false,
      reason: 'WebGPU adapter acme tiny (T1) lacks maxStorageBuffersPerShaderStage >= 8 (has 4)',
    });
  });

  it('describes a suitable adapter and flags software renderers', async () => {
    const h100 = adapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.90' });
    expect(await probeWebGpu({ importer: dawnWith(h100) })).toEqual({
      available: true,
      adapter: { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.90' },
      features: ['shader-f16', 'timestamp-query'],
      limits: GOOD_LIMITS,
      software: false,
      source: 'webgpu package',
    });
    const llvmpipe = adapter({ vendor: '', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa' });
    expect(await probeWebGpu({ importer: dawnWith(llvmpipe) })).toMatchObject({ available: true, software: true });
    const fallback = adapter({ vendor: 'google', architecture: '', device: 'x', description: '', isFallbackAdapter: true });
    expect(await probeWebGpu({ importer: dawnWith(fallback) })).toMatchObject({ available: true, software: true });
  });

  it('never throws on this machine, whatever it has', async () => {
    const probe = await probeWebGpu();
    if (probe.available) {
      expect(probe.adapter).toHaveProperty('vendor');
    } else {
      expect(probe.reason).toMatch(/^(no WebGPU adapter|webgpu package|WebGPU adapter)/);
      expect(probe.reason).not.toContain('\n');
    }
    console.log(`probeWebGpu() on this machine: ${JSON.stringify(probe.available ? probe.adapter : probe.reason)}`);
  });
});
