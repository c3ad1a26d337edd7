import { describe, expect, it } from 'vitest';
import { explainMissingAdapter, gpuDeviceNodes, nodeSystem, type SystemView } from './webgpu-diagnose';

/** A Linux file system holding exactly `files` (directories are implied by the paths). */
function linux(files: string[], env: Record<string, string> = {}): SystemView {
  return {
    platform: 'linux',
    env,
    exists: (path) => files.includes(path),
    list: (dir) => files.filter((file) => file.startsWith(`${dir}/`)).map((file) => file.slice(dir.length + 1)),
  };
}

const LOADER = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
const MESA_ICDS = ['lvp_icd.x86_64.json', 'intel_icd.x86_64.json', 'radeon_icd.x86_64.json'].map((f) => `/usr/share/vulkan/icd.d/${f}`);

describe('explainMissingAdapter', () => {
  it('names the missing Vulkan loader', () => {
    expect(explainMissingAdapter(linux([]), [])).toBe(
      "no WebGPU adapter: Vulkan loader libvulkan.so.1 not found (install libvulkan1 and your GPU vendor's Vulkan driver)",
    );
  });

  it('finds the loader through LD_LIBRARY_PATH too', () => {
    const reason = explainMissingAdapter(linux(['/opt/vk/libvulkan.so.1'], { LD_LIBRARY_PATH: '/opt/vk' }), []);
    expect(reason).toBe('no WebGPU adapter: Vulkan driver not found');
  });

  it('says an NVIDIA card lacks its Vulkan driver', () => {
    expect(explainMissingAdapter(linux([LOADER, '/dev/nvidia0']), [])).toMatch(/Vulkan driver not found \(an NVIDIA GPU is present/);
    expect(explainMissingAdapter(linux([LOADER, '/dev/nvidia0', ...MESA_ICDS]), [])).toBe(
      'no WebGPU adapter: an NVIDIA GPU is present but its Vulkan driver is not installed (found only: lvp, intel, radeon)',
    );
  });

  it("explains Mesa's lavapipe, which Dawn refuses", () => {
    expect(explainMissingAdapter(linux([LOADER, ...MESA_ICDS]), [])).toBe(
      'no WebGPU adapter: Dawn accepted no device from the Vulkan drivers installed (lvp, intel, radeon); ' +
        'Mesa lavapipe (lvp) lacks shaderUniform*ArrayDynamicIndexing, which Dawn requires',
    );
  });

  it('honours VK_DRIVER_FILES over the manifest directories', () => {
    const nvidia = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json';
    const system = linux([LOADER, '/dev/nvidia0', nvidia, ...MESA_ICDS], { VK_DRIVER_FILES: nvidia });
    expect(explainMissingAdapter(system, [])).toBe('no WebGPU adapter: Dawn accepted no device from the Vulkan drivers installed (nvidia)');
  });

  it('gives the EGL hint for the OpenGL ES backend on a headless machine', () => {
    expect(explainMissingAdapter(linux([]), ['backend=opengles'])).toBe(
      'no WebGPU adapter: Dawn found no OpenGL ES device through EGL; on a headless machine set EGL_PLATFORM=surfaceless',
    );
    expect(explainMissingAdapter(linux([], { EGL_PLATFORM: 'surfaceless' }), ['backend=opengles'])).not.toMatch(/EGL_PLATFORM/);
  });

  it('names the platform API elsewhere', () => {
    expect(explainMissingAdapter({ ...linux([]), platform: 'darwin' }, [])).toBe('no WebGPU adapter: Dawn found no Metal device');
    expect(explainMissingAdapter({ ...linux([]), platform: 'win32' }, [])).toMatch(/D3D12/);
  });

  it('reads the real file system of this machine', () => {
    const system = nodeSystem();
    expect(system.platform).toBe(process.platform);
    expect(system.exists('/')).toBe(true);
    expect(system.list('/no/such/dir')).toEqual([]);
    const reason = explainMissingAdapter(system, []);
    expect(reason).toMatch(/^no WebGPU adapter: /);
    expect(reason).not.toContain('\n');
  });
});

describe('gpuDeviceNodes', () => {
  it('lists render nodes, NVIDIA devices and WSL2 /dev/dxg, nothing else', () => {
    expect(gpuDeviceNodes(linux(['/dev/dri/card0', '/dev/dri/renderD128', '/dev/nvidiactl', '/dev/nvidia0', '/dev/dxg']))).toEqual([
      '/dev/dri/renderD128',
      '/dev/nvidiactl',
      '/dev/nvidia0',
      '/dev/dxg',
    ]);
    // a display-only card node is no compute device
    expect(gpuDeviceNodes(linux(['/dev/dri/card0', LOADER, ...MESA_ICDS]))).toEqual([]);
  });

  it('has no answer off Linux', () => {
    expect(gpuDeviceNodes({ ...linux(['/dev/dri/renderD128']), platform: 'darwin' })).toBeUndefined();
  });

  it('reads this machine', () => {
    const nodes = gpuDeviceNodes(nodeSystem());
    if (process.platform !== 'linux') expect(nodes).toBeUndefined();
    else expect(nodes!.every((node) => node.startsWith('/dev/'))).toBe(true);
  });
});
