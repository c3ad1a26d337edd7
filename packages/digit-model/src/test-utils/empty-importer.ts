import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * An importer (WebGpuOptions.importer) that imports packages from a directory with no node_modules,
 * so Node's own ESM resolver really finds nothing and raises its own ERR_MODULE_NOT_FOUND: the
 * workspace has the GPU packages installed as devDependencies, a user who did not opt in has not.
 * (ESM, because CommonJS resolution would also search NODE_PATH, which pnpm's bin shims point at the
 * whole store.)
 */
export function emptyDirImporter(): (specifier: string) => Promise<unknown> {
  // Under a node_modules folder, so that vitest leaves the file to Node instead of resolving its import itself.
  const dir = join(tmpdir(), 'digits-nothing-installed', 'node_modules', 'importer');
  const file = join(dir, 'import.mjs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, 'export default (specifier) => import(specifier);\n');
  const loaded = import(/* @vite-ignore */ pathToFileURL(file).href) as Promise<{ default: (specifier: string) => Promise<unknown> }>;
  return async (specifier) => (await loaded).default(specifier);
}

/** The same, except that the packages named in `installed` are imported by `fallback` as usual. */
export function importerWithOnly(installed: string[], fallback: (specifier: string) => Promise<unknown>): (specifier: string) => Promise<unknown> {
  const nothing = emptyDirImporter();
  return (specifier) => (installed.includes(specifier) ? fallback(specifier) : nothing(specifier));
}
