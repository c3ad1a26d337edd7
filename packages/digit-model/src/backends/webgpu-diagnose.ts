/**
 * Why Dawn found no adapter, in one line. Dawn prints its own warnings to stderr (e.g. "Couldn't
 * load Vulkan: libvulkan.so.1" or lavapipe's "Vulkan shaderUniform*ArrayDynamicIndexing required")
 * but does not hand them to JavaScript, so we look at what it looked for: the Vulkan loader and the
 * installed drivers (ICD manifests). Reads the file system through process.getBuiltinModule, so this
 * module has no static Node import and stays browser-safe.
 */
export interface SystemView {
  platform: string;
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  list(dir: string): string[];
}

interface FsApi {
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
}

export function nodeSystem(): SystemView {
  const proc = (globalThis as { process?: { platform?: string; env?: Record<string, string>; getBuiltinModule?(id: string): unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as FsApi | undefined;
  return {
    platform: proc?.platform ?? 'unknown',
    env: proc?.env ?? {},
    exists: (path) => fs?.existsSync(path) ?? false,
    list: (dir) => {
      try {
        return fs?.readdirSync(dir) ?? [];
      } catch {
        return [];
      }
    },
  };
}

/**
 * The GPU device nodes a Linux machine exposes (DRM render nodes, NVIDIA's, WSL2's /dev/dxg); an
 * empty list means no GPU Dawn could use, so 'auto' need not load Dawn at all (which would only
 * print its drivers' warnings). Undefined off Linux, where there is no such cheap check.
 */
export function gpuDeviceNodes(system: SystemView): string[] | undefined {
  if (system.platform !== 'linux') return undefined;
  const render = system.list('/dev/dri').filter((name) => name.startsWith('renderD')).map((name) => `/dev/dri/${name}`);
  const other = ['/dev/nvidiactl', '/dev/nvidia0', '/dev/dxg'].filter((path) => system.exists(path));
  return [...render, ...other];
}

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib', '/usr/local/lib'];
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
const SOFTWARE_ICD = /^(lvp|swiftshader)/;

const split = (value: string | undefined) => (value ?? '').split(':').filter(Boolean);

function vulkanDrivers(system: SystemView): string[] {
  const explicit = split(system.env.VK_DRIVER_FILES ?? system.env.VK_ICD_FILENAMES);
  if (explicit.length > 0) return explicit.filter((file) => system.exists(file)).map(driverName);
  const dirs = [...ICD_DIRS, ...split(system.env.XDG_DATA_DIRS).map((dir) => `${dir}/vulkan/icd.d`)];
  const names = dirs.flatMap((dir) => system.list(dir).filter((file) => file.endsWith('.json')));
  return [...new Set(names.map(driverName))];
}

function driverName(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.json$/, '').replace(/_icd(\.[\w]+)?$/, '');
}

export function explainMissingAdapter(system: SystemView, dawnOptions: readonly string[]): string {
  const backend = dawnOptions.find((option) => option.startsWith('backend='))?.slice('backend='.length);
  if (backend === 'opengl' || backend === 'opengles') {
    const hint = system.env.EGL_PLATFORM ? '' : '; on a headless machine set EGL_PLATFORM=surfaceless';
    return `no WebGPU adapter: Dawn found no ${backend === 'opengl' ? 'OpenGL' : 'OpenGL ES'} device through EGL${hint}`;
  }
  if (backend && backend !== 'vulkan') return `no WebGPU adapter: Dawn found none for backend=${backend}`;
  if (system.platform === 'darwin') return 'no WebGPU adapter: Dawn found no Metal device';
  if (system.platform === 'win32') return 'no WebGPU adapter: Dawn found no D3D12 or Vulkan device';
  if (system.platform !== 'linux') return `no WebGPU adapter: Dawn found none on ${system.platform}`;

  const libDirs = [...split(system.env.LD_LIBRARY_PATH), ...LIB_DIRS];
  if (!libDirs.some((dir) => system.exists(`${dir}/libvulkan.so.1`))) {
    return 'no WebGPU adapter: Vulkan loader libvulkan.so.1 not found (install libvulkan1 and your GPU vendor\'s Vulkan driver)';
  }
  const drivers = vulkanDrivers(system);
  const nvidiaCard = system.exists('/dev/nvidia0');
  if (drivers.length === 0) {
    const which = nvidiaCard ? ' (an NVIDIA GPU is present: install its Vulkan driver, nvidia_icd.json)' : '';
    return `no WebGPU adapter: Vulkan driver not found${which}`;
  }
  if (nvidiaCard && !drivers.some((name) => name.startsWith('nvidia'))) {
    return `no WebGPU adapter: an NVIDIA GPU is present but its Vulkan driver is not installed (found only: ${drivers.join(', ')})`;
  }
  const software = drivers.filter((name) => SOFTWARE_ICD.test(name));
  const lavapipe = software.some((name) => name.startsWith('lvp'))
    ? '; Mesa lavapipe (lvp) lacks shaderUniform*ArrayDynamicIndexing, which Dawn requires'
    : '';
  return `no WebGPU adapter: Dawn accepted no device from the Vulkan drivers installed (${drivers.join(', ')})${lavapipe}`;
}
