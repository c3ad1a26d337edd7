import { readFile } from 'node:fs/promises';
import { DigitsError, type RawImage } from '@digits/mnist-data';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** Reads a PNG or JPEG file into RGBA pixels (any bit depth / palette / alpha) for preprocessImage. */
export async function readImageFile(file: string): Promise<RawImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new DigitsError('BAD_IMAGE', `${reason} (${(error as Error).message})`, { file, cause: error });
  }
  return decodeImage(bytes, file);
}

export function decodeImage(bytes: Uint8Array, file: string): RawImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (startsWith(buffer, PNG_SIGNATURE)) {
      const png = PNG.sync.read(buffer);
      return { data: png.data, width: png.width, height: png.height, channels: 4 };
    }
    if (startsWith(buffer, JPEG_SIGNATURE)) {
      const image = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      return { data: image.data, width: image.width, height: image.height, channels: 4 };
    }
  } catch (error) {
    throw new DigitsError('BAD_IMAGE', `damaged image: ${(error as Error).message}`, { file, cause: error });
  }
  throw new DigitsError('BAD_IMAGE', 'not a PNG or JPEG image', { file });
}

function startsWith(buffer: Buffer, signature: number[]): boolean {
  return signature.every((byte, i) => buffer[i] === byte);
}
