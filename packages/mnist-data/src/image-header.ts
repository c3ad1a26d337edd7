import { DigitsError } from './errors';
import { MAX_IMAGE_PIXELS } from './limits';

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SOI = [0xff, 0xd8];

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);
const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);

/**
 * Reads the format and pixel size of a PNG (IHDR) or JPEG (the first SOF frame header) without
 * decoding anything, so a decompression bomb (a small file claiming 20000 x 20000 pixels) is
 * refused before a decoder allocates its pixels. Returns undefined for anything that is neither;
 * a PNG or JPEG whose header is missing or cut off is BAD_IMAGE.
 */
export function readImageHeader(bytes: Uint8Array, file?: string): ImageHeader | undefined {
  const where = file === undefined ? {} : { file };
  if (startsWith(bytes, PNG_SIGNATURE.slice(0, 4))) {
    // The IHDR chunk must come first: length (4), "IHDR", width (4), height (4), ...
    if (bytes.length < 24 || !startsWith(bytes, PNG_SIGNATURE) || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
      throw new DigitsError('BAD_IMAGE', 'damaged image: the PNG has no IHDR header', where);
    }
    return { format: 'png', width: u32(bytes, 16), height: u32(bytes, 20) };
  }
  if (startsWith(bytes, JPEG_SOI) && bytes[2] === 0xff) return { format: 'jpeg', ...jpegSize(bytes, where) };
  return undefined;
}

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): the frame headers that carry the size. */
const isFrameHeader = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(bytes: Uint8Array, where: { file?: string }): { width: number; height: number } {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) break;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      p += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or the end before any frame header
    const length = u16(bytes, p + 2);
    if (isFrameHeader(marker)) {
      if (p + 9 > bytes.length) break;
      return { height: u16(bytes, p + 5), width: u16(bytes, p + 7) };
    }
    if (length < 2) break;
    p += 2 + length;
  }
  throw new DigitsError('BAD_IMAGE', 'damaged image: the JPEG has no frame header (SOF) before its image data', where);
}

/** Throws IMAGE_TOO_LARGE when width x height exceeds `maxPixels` (default MAX_IMAGE_PIXELS, 40 MP). */
export function assertImageSize(width: number, height: number, file?: string, maxPixels = MAX_IMAGE_PIXELS): void {
  if (width * height > maxPixels) {
    throw new DigitsError(
      'IMAGE_TOO_LARGE',
      `the image is ${width} x ${height} pixels (${formatMp(width * height)}), more than the ${formatMp(maxPixels)} limit`,
      file === undefined ? {} : { file },
    );
  }
}

const formatMp = (pixels: number) => `${(pixels / (1024 * 1024)).toFixed(1)} MP`;
