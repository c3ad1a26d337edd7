import { DigitsError, type RawImage } from '@digits/mnist-data';

/** Large photos are scaled down first: the preprocessing ends at 28x28 anyway. */
const MAX_SIDE = 1024;

export interface DecodedImage {
  raw: RawImage;
  bitmap: ImageBitmap;
}

/** Decodes an image file with the browser's own decoders (PNG, JPEG, GIF, WebP, BMP...), keeping alpha. */
export async function decodeImageFile(file: File): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (cause) {
    throw new DigitsError('BAD_IMAGE', 'is not an image this browser can decode (expected PNG, JPEG, GIF, WebP or BMP).', {
      file: file.name,
      cause,
    });
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { raw: { data, width, height, channels: 4 }, bitmap };
}

export function isImageFile(file: File): boolean {
  return file.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(file.name);
}
