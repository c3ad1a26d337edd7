import { DigitsError } from '@digits/mnist-data';

export type ContainerFormat = 'hdf5' | 'zip';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
  return signature.every((b, i) => bytes[offset + i] === b);
}

/**
 * Identifies a Keras model container by its magic bytes. HDF5 allows the signature at offsets
 * 0, 512, 1024, ... (user block); Keras never writes one, but h5py files can have it.
 */
export function detectContainer(bytes: Uint8Array, file = 'model'): ContainerFormat {
  if (startsWith(bytes, ZIP_SIGNATURE)) return 'zip';
  for (let offset = 0; offset + 8 <= bytes.length && offset <= 1 << 16; offset = offset === 0 ? 512 : offset * 2) {
    if (startsWith(bytes, HDF5_SIGNATURE, offset)) return 'hdf5';
  }
  throw new DigitsError('NOT_HDF5', `not a Keras model: expected an HDF5 (.h5) or zip (.keras) file, found ${describeBytes(bytes)}`, { file });
}

function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'an HTML page (a download that saved a web page instead of the file?)';
  if (head.startsWith('{')) return 'JSON text (a tfjs model.json or a Keras config? pass it as configJson)';
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `bytes ${hex}`;
}
