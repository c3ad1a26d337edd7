/**
 * Resolving installed packages in Node without importing any Node module statically, so that this
 * file stays browser-safe: Node >= 20.16 exposes its built-ins through process.getBuiltinModule.
 */
interface NodeModuleApi {
  createRequire(from: string): { resolve(request: string): string };
}
interface NodePathApi {
  dirname(path: string): string;
}
interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?(id: string): unknown;
}

function nodeProcess(): NodeProcess | undefined {
  const process = (globalThis as { process?: NodeProcess }).process;
  return process?.versions?.node ? process : undefined;
}

export const isNode = (): boolean => nodeProcess() !== undefined;

/** The directory of an installed package's file, or undefined outside Node / when not installed. */
export function resolvePackageDir(request: string): string | undefined {
  const process = nodeProcess();
  const moduleApi = process?.getBuiltinModule?.('node:module') as NodeModuleApi | undefined;
  const pathApi = process?.getBuiltinModule?.('node:path') as NodePathApi | undefined;
  if (!moduleApi || !pathApi) return undefined;
  try {
    return pathApi.dirname(moduleApi.createRequire(import.meta.url).resolve(request));
  } catch {
    return undefined;
  }
}

/** Whether an import failed because the package is not installed (as opposed to failing to load). */
export function isModuleNotFound(error: unknown, request: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    (typeof message === 'string' && message.includes(request) && /cannot find|failed to resolve/i.test(message))
  );
}
