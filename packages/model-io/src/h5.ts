import type * as H5 from 'h5wasm';
import { DigitsError } from '@digits/mnist-data';

type H5Module = typeof H5;
export type H5File = H5.File;
export type H5Group = H5.Group;
export type H5Dataset = H5.Dataset;

let loading: Promise<H5Module> | undefined;
let counter = 0;

/**
 * h5wasm is ESM-only and carries 4 MB of WebAssembly, so it is imported lazily: apps that never
 * touch Keras files never load it, and the dynamic import keeps working from our CJS build.
 *
 * HDF5 prints its error stack ("HDF5-DIAG: Error detected ...", ~50 lines for a truncated file)
 * to stderr through Emscripten's console.error, before our one-line error. h5wasm's throwing
 * error handler (h5wasm 0.7.2+, usnistgov/h5wasm#68) turns that stack into a JS Error instead;
 * we catch it and report its innermost line (see `hdf5Reason`).
 */
export function loadH5wasm(): Promise<H5Module> {
  loading ??= import('h5wasm').then(async (mod) => {
    const module = await mod.ready;
    module.activate_throwing_error_handler();
    return mod;
  });
  return loading;
}

/**
 * One line from an HDF5 error stack: the innermost entry's text ("truncated file: eof = 5000, ...")
 * names the actual problem; the outer entries only say which call gave up.
 */
export function hdf5Reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const truncated = /truncated file: eof = (\d+),.*stored_eof = (\d+)/.exec(message);
  if (truncated) return `the file is truncated: ${truncated[1]} of ${truncated[2]} bytes`;
  const entries = [...message.matchAll(/#\d+: .*? in [\w.]+\(\): (.+)$/gm)].map((m) => m[1]!.trim());
  return entries[entries.length - 1] ?? message.split('\n')[0]!.trim();
}

/** Opens HDF5 bytes read-only in h5wasm's in-memory file system; the file is removed afterwards. */
export async function withH5Bytes<T>(bytes: Uint8Array, file: string, read: (h5: H5File) => T): Promise<T> {
  const h5wasm = await loadH5wasm();
  const fs = h5wasm.FS!;
  const name = `/digits-read-${uniqueSuffix()}-${counter++}.h5`;
  fs.writeFile(name, bytes);
  let h5: H5File;
  try {
    h5 = new h5wasm.File(name, 'r');
  } catch (cause) {
    fs.unlink(name);
    // the bytes start like HDF5 (the caller checked the magic), so this is a damaged file, not another format
    throw new DigitsError('MODEL_INVALID', `the HDF5 file could not be opened: ${hdf5Reason(cause)}`, { file, cause });
  }
  try {
    return read(h5);
  } catch (cause) {
    if (cause instanceof DigitsError) throw cause;
    throw new DigitsError('MODEL_INVALID', `the HDF5 file could not be read (truncated or corrupt?): ${hdf5Reason(cause)}`, { file, cause });
  } finally {
    try {
      h5.close();
    } catch {
      // a file whose read failed may already be unusable; it is removed below either way
    }
    fs.unlink(name);
  }
}

/** Creates an HDF5 file with the superblock version Keras/h5py write (v0) and returns its bytes. */
export async function writeH5Bytes(write: (h5: H5File) => void): Promise<Uint8Array> {
  const h5wasm = await loadH5wasm();
  const fs = h5wasm.FS!;
  const name = `/digits-write-${uniqueSuffix()}-${counter++}.h5`;
  const h5 = new h5wasm.File(name, 'w', { libver: ['earliest', 'v110'] });
  try {
    write(h5);
  } catch (error) {
    h5.close();
    fs.unlink(name);
    throw error;
  }
  h5.close();
  const bytes = fs.readFile(name) as Uint8Array;
  fs.unlink(name);
  return bytes;
}

function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

export function isGroup(entity: unknown): entity is H5Group {
  return entity != null && (entity as { type?: string }).type === 'Group';
}

/** Reads a string-list attribute the way Keras writes it: fixed or vlen strings, an empty float array, or chunks name0..nameN. */
export function readStringList(node: H5Group, name: string): string[] | undefined {
  const attrs = node.attrs;
  if (name in attrs) return toStringList(attrs[name]!.value);
  if (!(`${name}0` in attrs)) return undefined;
  const parts: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) parts.push(...toStringList(attrs[`${name}${i}`]!.value));
  return parts;
}

export function readStringAttr(node: H5Group, name: string): string | undefined {
  const attrs = node.attrs;
  if (!(name in attrs)) return undefined;
  const value = attrs[name]!.value;
  if (typeof value === 'string') return stripNul(value);
  if (value instanceof Uint8Array) return stripNul(new TextDecoder().decode(value));
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return stripNul(value[0]);
  return undefined;
}

function toStringList(value: unknown): string[] {
  if (value == null) return [];
  if (typeof value === 'string') return [stripNul(value)];
  if (Array.isArray(value)) return value.map((v) => stripNul(String(v)));
  // Keras stores an empty list as an empty float64 array.
  if (ArrayBuffer.isView(value) && (value as Float64Array).length === 0) return [];
  return [];
}

function stripNul(s: string): string {
  const end = s.indexOf('\0');
  return end === -1 ? s : s.slice(0, end);
}
