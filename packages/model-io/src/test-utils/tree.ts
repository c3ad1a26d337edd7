import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Every entry under `dir` (dot-files included): a file as the SHA-256 of its bytes, a directory as
 * 'dir', a symbolic link as '-> target'. Equal before and after means nothing changed.
 */
export async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const key = relative(dir, path);
    if (entry.isFile()) out[key] = createHash('sha256').update(await readFile(path)).digest('hex');
    else if (entry.isSymbolicLink()) out[key] = `-> ${await readlink(path)}`;
    else out[key] = entry.isDirectory() ? 'dir' : 'other';
  }
  return out;
}
