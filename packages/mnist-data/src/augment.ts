import type { Split } from './dataset';
import { DigitsError } from './errors';
import { createRng } from './rng';

/** One concrete distortion of one image. */
export interface Transform {
  /** Shift in pixels (right, down). */
  dx: number;
  dy: number;
  /** Zoom factor about the image centre (1 = unchanged). */
  scale: number;
  /** Clockwise rotation in degrees about the image centre. */
  rotation: number;
  /** Stroke thickness change: > 0 thickens (towards a 1-px dilation at 1), < 0 thins (erosion at -1). */
  thickness: number;
}

/** Ranges the random transforms are drawn from, each uniform in [-x, x] (scale: 1 +- x). */
export interface AugmentOptions {
  seed: number;
  /** Max shift in pixels (default 2). */
  shift?: number;
  /** Max relative zoom (default 0.1). */
  scale?: number;
  /** Max rotation in degrees (default 10). */
  rotation?: number;
  /** Max thickness change, 0..1 (default 0.5). */
  thickness?: number;
}

export const AUGMENT_DEFAULTS = { shift: 2, scale: 0.1, rotation: 10, thickness: 0.5 } as const;

/**
 * A randomly distorted copy of a split (labels unchanged), for robustness to real drawings:
 * each image gets its own shift, zoom, small rotation and stroke thickness, drawn from `seed`.
 */
export function augment(split: Split, options: AugmentOptions): Split {
  const random = createRng(options.seed);
  const { shift, scale, rotation, thickness } = { ...AUGMENT_DEFAULTS, ...definedOnly(options) };
  if (![shift, scale, rotation, thickness].every((v) => Number.isFinite(v) && v >= 0) || scale >= 1 || thickness > 1) {
    throw new DigitsError('BAD_ARGUMENT', `augmentation ranges must be >= 0 (scale < 1, thickness <= 1), got ${JSON.stringify(options)}`);
  }
  const spread = (max: number) => (random() * 2 - 1) * max;
  const size = split.rows * split.cols;
  const images = new Uint8Array(split.images.length);
  for (let i = 0; i < split.count; i++) {
    const transform: Transform = {
      dx: spread(shift),
      dy: spread(shift),
      scale: 1 + spread(scale),
      rotation: spread(rotation),
      thickness: spread(thickness),
    };
    transformImage(split.images.subarray(i * size, (i + 1) * size), split.rows, split.cols, transform, images.subarray(i * size, (i + 1) * size));
  }
  return { images, labels: split.labels.slice(), count: split.count, rows: split.rows, cols: split.cols };
}

function definedOnly(options: AugmentOptions): Partial<AugmentOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/** Applies one transform to a rows x cols byte image (bilinear sampling, black outside). */
export function transformImage(
  image: Uint8Array,
  rows: number,
  cols: number,
  transform: Transform,
  out: Uint8Array = new Uint8Array(rows * cols),
): Uint8Array {
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const angle = (transform.rotation * Math.PI) / 180;
  // inverse mapping: for each output pixel, where it came from in the input
  const cos = Math.cos(angle) / transform.scale;
  const sin = Math.sin(angle) / transform.scale;
  const warped = new Float32Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const u = x - cx - transform.dx;
      const v = y - cy - transform.dy;
      warped[y * cols + x] = bilinear(image, rows, cols, cos * u + sin * v + cx, -sin * u + cos * v + cy);
    }
  }
  const stroked = transform.thickness === 0 ? warped : changeThickness(warped, rows, cols, transform.thickness);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(255, Math.max(0, stroked[i]!)));
  return out;
}

function bilinear(image: Uint8Array, rows: number, cols: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < -1 || y0 < -1 || x0 >= cols || y0 >= rows) return 0;
  const fx = x - x0;
  const fy = y - y0;
  const left = x0 >= 0;
  const right = x0 + 1 < cols;
  const top = y0 >= 0 ? y0 * cols : -1;
  const bottom = y0 + 1 < rows ? (y0 + 1) * cols : -1;
  const a = top >= 0 && left ? image[top + x0]! : 0;
  const b = top >= 0 && right ? image[top + x0 + 1]! : 0;
  const c = bottom >= 0 && left ? image[bottom + x0]! : 0;
  const d = bottom >= 0 && right ? image[bottom + x0 + 1]! : 0;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

/** Blends towards a 4-neighbour dilation (amount > 0) or erosion (amount < 0). */
function changeThickness(image: Float32Array, rows: number, cols: number, amount: number): Float32Array {
  const grow = amount > 0;
  const weight = Math.abs(amount);
  const out = new Float32Array(image.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      const here = image[i]!;
      // pixels beyond the border count as background (0)
      const l = x > 0 ? image[i - 1]! : 0;
      const r = x + 1 < cols ? image[i + 1]! : 0;
      const u = y > 0 ? image[i - cols]! : 0;
      const d = y + 1 < rows ? image[i + cols]! : 0;
      const morph = grow ? Math.max(here, l, r, u, d) : Math.min(here, l, r, u, d);
      out[i] = here + weight * (morph - here);
    }
  }
  return out;
}
