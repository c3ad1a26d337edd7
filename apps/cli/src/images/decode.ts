import { assertImageSize, DigitsError, MAX_IMAGE_FILE_BYTES, MAX_IMAGE_PIXELS, readImageHeader, type RawImage } from '@digits/mnist-data';
import { readRegularFile } from '@digits/mnist-data/node';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Reads a PNG or JPEG file (a regular file of at most MAX_IMAGE_FILE_BYTES) into RGBA pixels for preprocessImage. */
export async function readImageFile(file: string): Promise<RawImage> {
  const bytes = await readRegularFile(file, { maxBytes: MAX_IMAGE_FILE_BYTES, code: 'BAD_IMAGE', what: 'an image' });
  return decodeImage(bytes, file);
}

/**
 * Decodes a PNG or JPEG (any bit depth / palette / alpha) into 8-bit RGBA. The size comes from the
 * header first: an image over MAX_IMAGE_PIXELS (40 MP) is IMAGE_TOO_LARGE before a decoder runs
 * (pngjs has no limit of its own; jpeg-js is given the same one).
 */
export function decodeImage(bytes: Uint8Array, file: string): RawImage {
  const header = readImageHeader(bytes, file);
  if (header === undefined) throw new DigitsError('BAD_IMAGE', 'not a PNG or JPEG image', { file });
  assertImageSize(header.width, header.height, file);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(buffer);
      return { data: png.data, width: png.width, height: png.height, channels: 4 };
    }
    const image = jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 512,
    });
    return { data: image.data, width: image.width, height: image.height, channels: 4 };
  } catch (error) {
    throw new DigitsError('BAD_IMAGE', `damaged image: ${(error as Error).message}`, { file, cause: error });
  }
}
