import { explainMissingAdapter, nodeSystem } from './webgpu-diagnose';
import { isPackageMissing, webGpuNotInstalled } from './webgpu-packages';

/**
 * Finding a WebGPU adapter: the browser's (or any runtime's) `navigator.gpu`, else Dawn's Node
 * bindings from the optional `webgpu` package. Absence is an answer with a one-line reason, never
 * an exception. Types are spelled out here so that our .d.ts needs neither `webgpu` nor
 * `@webgpu/types` installed.
 */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** The limits tfjs-backend-webgpu's kernels rely on, as the adapter reports them. */
export interface WebGpuLimits {
  maxStorageBuffersPerShaderStage: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export type WebGpuProbe =
  | {
      available: true;
      adapter: WebGpuAdapterInfo;
      features: string[];
      limits: WebGpuLimits;
      /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader, ...): correct, slower than the CPU engine. */
      software: boolean;
      /** Where the WebGPU implementation came from. */
      source: 'navigator.gpu' | 'webgpu package';
    }
  | { available: false; reason: string };

export interface WebGpuOptions {
  /**
   * Options for Dawn (the `webgpu` package's `create()`), e.g. `['backend=vulkan']`,
   * `['adapter=NVIDIA H100 80GB HBM3']`; `['backend=opengles']` with `featureLevel: 'compatibility'`
   * and `EGL_PLATFORM=surfaceless` reaches Mesa's software OpenGL ES on a headless machine.
   */
  dawnOptions?: string[];
  featureLevel?: 'core' | 'compatibility';
  powerPreference?: 'high-performance' | 'low-power';
  /** Use a software adapter when no other is found (off by default: the CPU engine is faster). */
  allowSoftware?: boolean;
  /** How optional packages are imported; tests inject failures here. */
  importer?: (specifier: string) => Promise<unknown>;
}

/** The few members of the WebGPU API we touch. */
export interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}
export interface GpuAdapterLike {
  info?: Partial<WebGpuAdapterInfo> & { isFallbackAdapter?: boolean };
  features: Iterable<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<unknown>;
}
interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** What tfjs-backend-webgpu needs beyond WebGPU's core defaults (its kernels bind up to 8 buffers). */
export const REQUIRED_LIMITS: Readonly<Partial<WebGpuLimits>> = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16384,
};

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|null-backend|basic render/i;

export const defaultImporter = (specifier: string): Promise<unknown> =>
  // A variable specifier keeps bundlers from resolving this optional, Node-only package.
  import(/* @vite-ignore */ specifier);

/** The adapter and the live handles behind it (kept alive while a backend uses them). */
export interface FoundAdapter {
  gpu: GpuLike;
  adapter: GpuAdapterLike;
  /** WebGPU's constant namespaces (GPUBufferUsage, ...) from Dawn; undefined with navigator.gpu. */
  dawnGlobals: Record<string, unknown> | undefined;
  probe: Extract<WebGpuProbe, { available: true }>;
}

const firstLine = (error: unknown): string => String((error as Error)?.message ?? error).split('\n')[0]!.trim();

async function loadGpu(options: WebGpuOptions): Promise<{ gpu: GpuLike; dawnGlobals?: Record<string, unknown> } | string> {
  const native = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (native && !options.dawnOptions) return { gpu: native };
  let dawn: DawnModule;
  try {
    dawn = (await (options.importer ?? defaultImporter)('webgpu')) as DawnModule;
  } catch (error) {
    if (isPackageMissing(error, 'webgpu')) return webGpuNotInstalled(['webgpu']);
    return `webgpu package failed to load: ${firstLine(error)}`;
  }
  if (typeof dawn?.create !== 'function') return 'webgpu package failed to load: it has no create() export';
  try {
    return { gpu: dawn.create(options.dawnOptions ?? []), dawnGlobals: dawn.globals };
  } catch (error) {
    return `webgpu package failed to start Dawn: ${firstLine(error)}`;
  }
}

function describe(adapter: GpuAdapterLike): WebGpuAdapterInfo {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
}

export function adapterLabel(info: WebGpuAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown vendor';
  const model = info.device || info.description;
  return model ? `${name} (${model})` : name;
}

/** Requests an adapter and keeps the handles; a string says why there is none. */
export async function findAdapter(options: WebGpuOptions = {}): Promise<FoundAdapter | string> {
  const loaded = await loadGpu(options);
  if (typeof loaded === 'string') return loaded;
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await loaded.gpu.requestAdapter({
      powerPreference: options.powerPreference ?? 'high-performance',
      ...(options.featureLevel ? { featureLevel: options.featureLevel } : {}),
    });
  } catch (error) {
    return `WebGPU adapter request failed: ${firstLine(error)}`;
  }
  if (!adapter) {
    return loaded.dawnGlobals ? explainMissingAdapter(nodeSystem(), options.dawnOptions ?? []) : 'no WebGPU adapter: navigator.gpu offered none';
  }
  const info = describe(adapter);
  const limits = Object.fromEntries(
    (['maxStorageBuffersPerShaderStage', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize', 'maxBufferSize'] as const).map(
      (key) => [key, Number(adapter.limits[key] ?? 0)],
    ),
  ) as unknown as WebGpuLimits;
  const lacking = Object.entries(REQUIRED_LIMITS)
    .filter(([key, need]) => limits[key as keyof WebGpuLimits] < (need ?? 0))
    .map(([key, need]) => `${key} >= ${need} (has ${limits[key as keyof WebGpuLimits]})`);
  if (lacking.length > 0) return `WebGPU adapter ${adapterLabel(info)} lacks ${lacking.join(', ')}`;
  const software = adapter.info?.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(`${info.device} ${info.description}`);
  return {
    gpu: loaded.gpu,
    adapter,
    dawnGlobals: loaded.dawnGlobals,
    probe: {
      available: true,
      adapter: info,
      features: [...adapter.features].sort(),
      limits,
      software,
      source: loaded.dawnGlobals ? 'webgpu package' : 'navigator.gpu',
    },
  };
}

/**
 * Is there a WebGPU adapter tfjs can train on? Never throws for absence: `{ available: false,
 * reason }` with a one-line reason such as 'webgpu is not installed (npm install webgpu@0.6.2
 * @tensorflow/tfjs-backend-webgpu@4.22.0)' or
 * 'no WebGPU adapter: Vulkan driver not found (...)'.
 */
export async function probeWebGpu(options: WebGpuOptions = {}): Promise<WebGpuProbe> {
  try {
    const found = await findAdapter(options);
    return typeof found === 'string' ? { available: false, reason: found } : found.probe;
  } catch (error) {
    return { available: false, reason: `WebGPU probe failed: ${firstLine(error)}` };
  }
}
