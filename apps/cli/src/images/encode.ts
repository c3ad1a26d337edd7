import { PNG } from 'pngjs';

/**
 * Grayscale pixels (one byte or one 0..1 float per pixel) to an RGBA PNG, each pixel drawn as a
 * `scale` x `scale` block: digit grids enlarge the 28x28 images without the blur of smoothing.
 */
export function grayscalePng(pixels: ArrayLike<number>, width: number, height: number, scale = 1): Buffer {
  const png = new PNG({ width: width * scale, height: height * scale });
  const asByte = isUnitRange(pixels) ? (v: number) => Math.round(v * 255) : (v: number) => v;
  for (let y = 0; y < height * scale; y += 1) {
    for (let x = 0; x < width * scale; x += 1) {
      const value = asByte(pixels[Math.floor(y / scale) * width + Math.floor(x / scale)] ?? 0);
      const at = (y * width * scale + x) * 4;
      png.data[at] = value;
      png.data[at + 1] = value;
      png.data[at + 2] = value;
      png.data[at + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

export function pngDataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

function isUnitRange(pixels: ArrayLike<number>): boolean {
  return pixels instanceof Float32Array || pixels instanceof Float64Array;
}
