import { DigitsError } from './errors';
import { assertImageSize } from './image-header';

/** Pixels as a canvas or decoder hands them over: row-major, `channels` bytes per pixel. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
}

export type Background = 'light' | 'dark' | 'transparent';

export interface PreprocessOptions {
  /** 'auto' (default) decides from the image border: transparent, light paper or dark board. */
  background?: 'auto' | Background;
  /** Ink below this fraction of the image's ink range counts as background (default 0.15). */
  threshold?: number;
  /** Smallest ink-vs-background difference (0-255) that counts as ink at all (default 24). */
  minContrast?: number;
}

export interface PreprocessResult {
  /** 784 floats, 0..1, white ink on black, 28x28 row-major: what an MNIST model expects. */
  pixels: Float32Array;
  /** True when the input had dark ink on a light background and was inverted. */
  inverted: boolean;
  background: Background;
  /** The ink's bounding box in the input image. */
  box: { x: number; y: number; width: number; height: number };
}

/** What preprocessImage does, as data, so a model card can record how its inputs were made. */
export const PREPROCESSING_SPEC = {
  name: 'mnist-style',
  version: 1,
  background: 'auto from the border: transparent (ink = alpha), light (inverted) or dark',
  threshold: 0.15,
  minContrast: 24,
  crop: 'bounding box of the ink',
  fit: { longerSide: 20, resampling: 'area-average' },
  contrast: 'stretched so the strongest ink is 1',
  canvas: { width: 28, height: 28 },
  centering: 'centre of mass at pixel (14, 14), whole-pixel shift',
  output: 'float32 0..1, white ink on black, 784 values row-major',
} as const;

const SIZE = 28;
const FIT = 20;
const CENTER = 14; // MNIST's own digits have their centre of mass at (14.0, 14.0) on average

/**
 * Turns a photo or drawing of one digit into an MNIST-style input: finds the background and
 * inverts if needed, crops to the ink, scales the longer side to 20 px with area averaging,
 * and places it in 28x28 with its centre of mass at the centre. Pure TypeScript (Node and browser).
 * Throws DigitsError NO_INK when nothing stands out from the background.
 */
export function preprocessImage(image: RawImage, options: PreprocessOptions = {}): PreprocessResult {
  checkImage(image);
  const { ink, background, inverted } = inkMap(image, options.background ?? 'auto');
  const box = inkBox(ink, image.width, image.height, options.threshold ?? PREPROCESSING_SPEC.threshold, options.minContrast ?? PREPROCESSING_SPEC.minContrast);
  const scale = FIT / Math.max(box.width, box.height);
  const fitW = Math.max(1, Math.round(box.width * scale));
  const fitH = Math.max(1, Math.round(box.height * scale));
  const fitted = resampleArea(crop(ink, image.width, box), box.width, box.height, fitW, fitH);
  stretchContrast(fitted);
  return { pixels: centerByMass(fitted, fitW, fitH), inverted, background, box };
}

function checkImage({ data, width, height, channels }: RawImage): void {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new DigitsError('BAD_IMAGE', `image size must be positive integers, got ${width}x${height}`);
  }
  assertImageSize(width, height);
  if (![1, 2, 3, 4].includes(channels)) throw new DigitsError('BAD_IMAGE', `channels must be 1-4, got ${channels}`);
  if (data.length !== width * height * channels) {
    throw new DigitsError(
      'BAD_IMAGE',
      `a ${width}x${height} image with ${channels} channels needs ${width * height * channels} bytes, got ${data.length}`,
    );
  }
}

/** Ink strength per pixel (0 = background colour, larger = more ink), before thresholding. */
function inkMap(image: RawImage, requested: 'auto' | Background): { ink: Float32Array; background: Background; inverted: boolean } {
  const { data, width, height, channels } = image;
  const n = width * height;
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = (p: number) => (hasAlpha ? data[p * channels + channels - 1]! : 255);
  const luminance = (p: number) => {
    const o = p * channels;
    const gray = channels <= 2 ? data[o]! : 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
    const a = alpha(p) / 255;
    return gray * a + 255 * (1 - a); // composite over white paper
  };
  if (requested === 'transparent' && !hasAlpha) {
    throw new DigitsError('BAD_IMAGE', `background 'transparent' needs an alpha channel, the image has ${channels} channel(s)`);
  }
  const border = borderPixels(width, height);
  const background: Background =
    requested !== 'auto'
      ? requested
      : hasAlpha && median(border.map(alpha)) < 128
        ? 'transparent'
        : median(border.map(luminance)) >= 128
          ? 'light'
          : 'dark';
  const ink = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    ink[p] = background === 'transparent' ? alpha(p) : background === 'light' ? 255 - luminance(p) : luminance(p);
  }
  // Paper is rarely pure white: measure the background level and count ink from there.
  const level = median(border.map((p) => ink[p]!));
  for (let p = 0; p < n; p++) ink[p] = Math.max(0, ink[p]! - level);
  return { ink, background, inverted: background === 'light' };
}

function inkBox(ink: Float32Array, width: number, height: number, threshold: number, minContrast: number) {
  let max = 0;
  for (let p = 0; p < ink.length; p++) if (ink[p]! > max) max = ink[p]!;
  if (max < minContrast) {
    throw new DigitsError('NO_INK', `no ink found: the image is blank (strongest ink ${Math.round(max)}/255 above the background, need ${minContrast})`);
  }
  const cut = threshold * max;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const v = ink[p]! < cut ? 0 : ink[p]! / max;
      ink[p] = v;
      if (v > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function crop(ink: Float32Array, width: number, box: PreprocessResult['box']): Float32Array {
  const out = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const start = (box.y + y) * width + box.x;
    out.set(ink.subarray(start, start + box.width), y * box.width);
  }
  return out;
}

/** For each output cell of a 1-D resample, the source cells it covers and by what fraction. */
function areaWeights(inSize: number, outSize: number): { index: number; weight: number }[][] {
  const step = inSize / outSize;
  return Array.from({ length: outSize }, (_, k) => {
    const from = k * step;
    const to = from + step;
    const cells: { index: number; weight: number }[] = [];
    for (let i = Math.floor(from); i < Math.min(inSize, Math.ceil(to)); i++) {
      const overlap = Math.min(to, i + 1) - Math.max(from, i);
      if (overlap > 1e-9) cells.push({ index: i, weight: overlap / step });
    }
    return cells;
  });
}

/** Area-averaging resample (each output pixel is the mean of the input area it covers). */
export function resampleArea(src: Float32Array, width: number, height: number, outW: number, outH: number): Float32Array {
  const wx = areaWeights(width, outW);
  const wy = areaWeights(height, outH);
  const rows = new Float32Array(outW * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (const { index, weight } of wx[x]!) sum += src[y * width + index]! * weight;
      rows[y * outW + x] = sum;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (const { index, weight } of wy[y]!) sum += rows[index * outW + x]! * weight;
      out[y * outW + x] = sum;
    }
  }
  return out;
}

function stretchContrast(pixels: Float32Array): void {
  let max = 0;
  for (const v of pixels) if (v > max) max = v;
  if (max > 0) for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, pixels[i]! / max);
}

function centerByMass(fitted: Float32Array, width: number, height: number): Float32Array {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = fitted[y * width + x]!;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  // Keep the whole digit on the canvas even when its mass is far off-centre.
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const ox = clamp(Math.round(CENTER - mx / mass), SIZE - width);
  const oy = clamp(Math.round(CENTER - my / mass), SIZE - height);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < height; y++) out.set(fitted.subarray(y * width, (y + 1) * width), (oy + y) * SIZE + ox);
  return out;
}

function borderPixels(width: number, height: number): number[] {
  const pixels: number[] = [];
  for (let x = 0; x < width; x++) pixels.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) pixels.push(y * width, y * width + width - 1);
  return pixels;
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
