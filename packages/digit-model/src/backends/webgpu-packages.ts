/**
 * The two packages the 'webgpu' backend needs on Node, and the one line that says how to get them.
 * They are optional peer dependencies of @digits/model (Dawn's `webgpu` package is 132 MB unpacked:
 * every platform's binary), so nothing GPU-related is installed unless a user asks for it. The
 * versions are the ones tested together; package.json's peer ranges start at them (a test checks).
 */
export const WEBGPU_PACKAGES = {
  webgpu: '0.6.2',
  '@tensorflow/tfjs-backend-webgpu': '4.22.0',
} as const;

export type WebGpuPackage = keyof typeof WEBGPU_PACKAGES;

/** `npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`: both, even when one is there (a no-op for it). */
export const WEBGPU_INSTALL_COMMAND = `npm install ${Object.entries(WEBGPU_PACKAGES)
  .map(([name, version]) => `${name}@${version}`)
  .join(' ')}`;

/** 'webgpu is not installed (npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0)'. */
export function webGpuNotInstalled(missing: readonly WebGpuPackage[]): string {
  const names = missing.join(' and ');
  return `${names} ${missing.length > 1 ? 'are' : 'is'} not installed (${WEBGPU_INSTALL_COMMAND})`;
}

/** Whether an import failed because `specifier` itself is not installed (not: it failed to load, or lacks a dependency). */
export function isPackageMissing(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const text = String(message ?? '');
  // A missing dawn.node (an unsupported platform) is also MODULE_NOT_FOUND, but it is not "not installed".
  if (text.includes('dawn.node')) return false;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && text.includes(`'${specifier}'`);
}
