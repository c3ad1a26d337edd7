import * as tf from '@tensorflow/tfjs';
import { DigitsError } from '@digits/mnist-data';
import { withNavigatorGpu } from './scoped-navigator';
import type { BackendProvider } from './provider';
import { gpuDeviceNodes, nodeSystem } from './webgpu-diagnose';
import { isPackageMissing, webGpuNotInstalled } from './webgpu-packages';
import {
  REQUIRED_LIMITS,
  adapterLabel,
  defaultImporter,
  findAdapter,
  type FoundAdapter,
  type WebGpuAdapterInfo,
  type WebGpuOptions,
} from './webgpu-probe';

/**
 * The 'webgpu' backend on Node: Dawn (the `webgpu` package) under @tensorflow/tfjs-backend-webgpu,
 * both optional peer dependencies that a user installs to opt in (see webgpu-packages.ts). In a
 * browser it uses the browser's WebGPU.
 */
export interface WebGpuBackendInfo {
  backend: 'webgpu';
  adapter: WebGpuAdapterInfo;
  software: boolean;
  /** One line for logs, naming the adapter: 'WebGPU on nvidia hopper (NVIDIA H100 ...)'. */
  reason: string;
}

interface BackendModule {
  WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
}
interface DeviceLike {
  destroy?(): void;
}

const BACKEND = 'webgpu';
let current: { found: FoundAdapter; info: WebGpuBackendInfo; device?: DeviceLike } | undefined;

function unavailable(message: string, cause?: unknown): DigitsError {
  return new DigitsError('BACKEND_UNAVAILABLE', message, cause === undefined ? {} : { cause });
}

/** tfjs-backend-webgpu's backend class, or undefined when the package is not installed. */
async function importBackendModule(options: WebGpuOptions): Promise<BackendModule | undefined> {
  const name = '@tensorflow/tfjs-backend-webgpu';
  let module: Partial<BackendModule> & { default?: Partial<BackendModule> };
  try {
    module = (await (options.importer ?? defaultImporter)(name)) as typeof module;
  } catch (error) {
    if (isPackageMissing(error, name)) return undefined;
    throw unavailable(`${name} failed to load: ${(error as Error).message.split('\n')[0]}`, error);
  }
  const WebGPUBackend = module.WebGPUBackend ?? module.default?.WebGPUBackend;
  if (!WebGPUBackend) throw unavailable(`${name} has no WebGPUBackend export`);
  return { WebGPUBackend };
}

/** Dawn's WebGPU classes and constants (GPUBufferUsage, ...) that tfjs's kernels use as globals. */
function installMissingGlobals(globals: Record<string, unknown> | undefined): void {
  for (const [name, value] of Object.entries(globals ?? {})) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
}

/** The same device request as tfjs-backend-webgpu's own factory, plus the limits compat mode caps. */
function deviceDescriptor(found: FoundAdapter): object {
  const limits = found.adapter.limits;
  const keys = new Set([
    ...Object.keys(REQUIRED_LIMITS),
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupsPerDimension',
    'maxComputeWorkgroupSizeX',
  ]);
  const requiredLimits = Object.fromEntries([...keys].filter((key) => limits[key] !== undefined).map((key) => [key, limits[key]]));
  const features = new Set(found.adapter.features);
  return { requiredFeatures: ['timestamp-query'].filter((name) => features.has(name)), requiredLimits };
}

/**
 * tfjs-backend-webgpu reads synchronously (dataSync, arraySync) through OffscreenCanvas, which Node
 * lacks, and WebGPU itself only reads asynchronously; say so instead of "OffscreenCanvas is not defined".
 */
function refuseSyncReadsWithoutCanvas(backend: tf.KernelBackend): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return;
  backend.readSync = () => {
    throw new DigitsError(
      'BACKEND_UNAVAILABLE',
      'the webgpu backend cannot read a tensor synchronously here (dataSync/arraySync need OffscreenCanvas); use await tensor.data()',
    );
  };
}

function reasonFor(found: FoundAdapter): string {
  const { adapter, software, source } = found.probe;
  const via = source === 'webgpu package' ? 'WebGPU (Dawn)' : 'WebGPU';
  return `${via} on ${adapterLabel(adapter)}${software ? ', a software renderer: slower than the CPU engine' : ''}`;
}

/**
 * Makes 'webgpu' tfjs's active backend on the first suitable adapter; throws
 * DigitsError('BACKEND_UNAVAILABLE') with a one-line reason when there is none (package missing,
 * no adapter, only a software one without `allowSoftware`). Call releaseWebGpuBackend() to pick
 * another adapter or to let the process exit without waiting on Dawn.
 */
export async function setupWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackendInfo> {
  if (current && tf.findBackendFactory(BACKEND)) {
    if (!(await tf.setBackend(BACKEND))) throw unavailable('the webgpu backend failed to start again');
    return current.info;
  }
  // Both packages are looked for before anything else, so that one message names all that is missing.
  const backendModule = await importBackendModule(options);
  const found = await findAdapter(options);
  if (typeof found === 'string') {
    const bothMissing = !backendModule && found === webGpuNotInstalled(['webgpu']);
    throw unavailable(bothMissing ? webGpuNotInstalled(['webgpu', '@tensorflow/tfjs-backend-webgpu']) : found);
  }
  if (!backendModule) throw unavailable(webGpuNotInstalled(['@tensorflow/tfjs-backend-webgpu']));
  if (found.probe.software && !options.allowSoftware) {
    throw unavailable(`only a software WebGPU adapter was found (${adapterLabel(found.probe.adapter)}); the CPU engine is faster`);
  }
  const { WebGPUBackend } = backendModule;
  installMissingGlobals(found.dawnGlobals);

  const info: WebGpuBackendInfo = { backend: BACKEND, adapter: found.probe.adapter, software: found.probe.software, reason: reasonFor(found) };
  const state: NonNullable<typeof current> = { found, info };
  let failure: unknown;
  if (tf.findBackendFactory(BACKEND)) tf.removeBackend(BACKEND);
  // Priority 0: registering must not make webgpu the default for code that never asked for it.
  tf.registerBackend(
    BACKEND,
    async () => {
      try {
        const device = (await found.adapter.requestDevice(deviceDescriptor(found))) as DeviceLike;
        state.device = device;
        const backend = withNavigatorGpu(found.gpu, () => new WebGPUBackend(device, found.adapter.info));
        refuseSyncReadsWithoutCanvas(backend);
        return backend;
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    0,
  );
  current = state;
  if (!(await tf.setBackend(BACKEND))) {
    releaseWebGpuBackend();
    const message = failure instanceof Error ? failure.message.split('\n')[0] : 'unknown error';
    throw unavailable(`the webgpu backend failed to start on ${adapterLabel(found.probe.adapter)}: ${message}`, failure);
  }
  return info;
}

/** Removes the webgpu backend and destroys its device (tensors on it are gone). */
export function releaseWebGpuBackend(): void {
  if (tf.findBackendFactory(BACKEND)) tf.removeBackend(BACKEND);
  current?.device?.destroy?.();
  current = undefined;
}

/**
 * 'webgpu' for selectBackend (a built-in there): in 'auto' it comes right after tfjs-node-gpu, before
 * the CPU paths, and is skipped (with the probe's reason) unless a hardware adapter with the needed
 * limits is found.
 */
export const webgpuProvider: BackendProvider = {
  name: BACKEND,
  description: 'WebGPU',
  autoSkip: (options) => {
    const asked = options.webgpu ?? {};
    // a software adapter, or Dawn options, were asked for: probe as told
    if (asked.allowSoftware || asked.dawnOptions || asked.importer) return undefined;
    const nodes = gpuDeviceNodes(nodeSystem());
    return nodes?.length === 0 ? 'no GPU device on this machine (no /dev/dri render node, /dev/nvidia*, or /dev/dxg)' : undefined;
  },
  activate: async (options) => (await setupWebGpuBackend(options.webgpu)).reason,
};
