import { preprocessImage, type RawImage } from './preprocess';
import { DigitsError } from './errors';
import { createRng } from './rng';
import { DIGIT_GLYPHS, LETTER_GLYPHS, SHAPE_GLYPHS, type Glyph, type Point, type Stroke } from './glyphs';

export type RGB = readonly [number, number, number];
export type DrawingKind = 'digit' | 'letter' | 'shape' | 'scribble' | 'noise';

/** One synthetic drawing on a square pad: pen strokes, pen width and colours. */
export interface Drawing {
  kind: DrawingKind;
  /** The digit ('7'), letter ('A'), shape ('star') or 'scribble' / 'noise'. */
  name: string;
  /** The digit a 'digit' drawing shows; undefined for everything else. */
  label?: number;
  /** Pen-down..pen-up polylines in pad coordinates (0..1 of the side, y down). */
  strokes: Stroke[];
  /** Pen width as a fraction of the pad's side. */
  penWidth: number;
  ink: RGB;
  paper: RGB;
}

const PAPERS: readonly { paper: RGB; inks: readonly RGB[] }[] = [
  { paper: [255, 255, 255], inks: [[0, 0, 0], [25, 45, 150], [80, 80, 86]] }, // white paper: marker, blue pen, pencil
  { paper: [250, 242, 222], inks: [[10, 10, 10], [30, 40, 120]] }, // cream
  { paper: [226, 228, 230], inks: [[0, 0, 0], [60, 60, 70]] }, // grey recycled / a dim photo of white
  { paper: [228, 236, 250], inks: [[20, 20, 40], [150, 25, 30]] }, // light blue, red pen
  { paper: [214, 190, 150], inks: [[30, 25, 20]] }, // kraft
  { paper: [34, 38, 42], inks: [[240, 240, 235], [230, 225, 160]] }, // blackboard, chalk
];

/**
 * How a person's drawing differs from the template: size and place on the pad, slant, rotation,
 * aspect, a hand's wobble and the pen's width. Ranges are what a pad visitor does, not MNIST's.
 */
export interface DrawingVariation {
  /** Height of the drawing as a fraction of the pad, [min, max]; default [0.3, 0.85]. */
  size?: readonly [number, number];
  /** Pen width relative to the drawing's height, [min, max]; default [0.07, 0.2]. */
  penWidth?: readonly [number, number];
  /** Max shear (x shift per unit of height) either way; default 0.35. */
  slant?: number;
  /** Max rotation in degrees either way; default 10. */
  rotation?: number;
  /** Width factor range; default [0.7, 1.2]. */
  aspect?: readonly [number, number];
  /** Amplitude of the hand's wobble, a fraction of the drawing's height; default 0.02. */
  wobble?: number;
}

export const DRAWING_DEFAULTS = { size: [0.3, 0.85], penWidth: [0.07, 0.2], slant: 0.35, rotation: 10, aspect: [0.7, 1.2], wobble: 0.02 } as const;

type Random = () => number;
const between = (random: Random, [lo, hi]: readonly [number, number]) => lo + random() * (hi - lo);
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** Places a unit-box glyph on the pad as a person might draw it. */
function place(glyph: Glyph, random: Random, variation: DrawingVariation): { strokes: Stroke[]; penWidth: number } {
  const v = { ...DRAWING_DEFAULTS, ...variation };
  const height = between(random, v.size);
  const aspect = between(random, v.aspect);
  const slant = (random() * 2 - 1) * v.slant;
  const angle = (((random() * 2 - 1) * v.rotation) * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Shape in glyph units centred on 0: slant, aspect, rotation, wobble.
  const shaped = glyph.map((stroke) => {
    const phase = random() * Math.PI * 2;
    const phase2 = random() * Math.PI * 2;
    const frequency = 1 + random() * 2;
    return stroke.map(([x, y], i): Point => {
      const s = stroke.length > 1 ? i / (stroke.length - 1) : 0;
      const wx = v.wobble * Math.sin(Math.PI * 2 * frequency * s + phase);
      const wy = v.wobble * Math.sin(Math.PI * 2 * frequency * s + phase2);
      const gx = (x - 0.5) * aspect + slant * (0.5 - y) + wx;
      const gy = y - 0.5 + wy;
      return [gx * cos - gy * sin, gx * sin + gy * cos];
    });
  });
  const xs = shaped.flat().map((p) => p[0]);
  const ys = shaped.flat().map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = height / Math.max(maxY - minY, 1e-3);
  const penWidth = between(random, v.penWidth) * height;
  const w = (maxX - minX) * scale;
  const h = (maxY - minY) * scale;
  const margin = penWidth;
  // Anywhere on the pad that keeps the whole drawing on it (shrunk if it would not fit).
  const fit = Math.min(1, (1 - 2 * margin) / Math.max(w, h));
  const left = margin + random() * Math.max(0, 1 - 2 * margin - w * fit);
  const top = margin + random() * Math.max(0, 1 - 2 * margin - h * fit);
  const strokes = shaped.map((stroke) => stroke.map(([x, y]): Point => [left + (x - minX) * scale * fit, top + (y - minY) * scale * fit]));
  return { strokes, penWidth: penWidth * fit };
}

function colours(random: Random): { ink: RGB; paper: RGB } {
  const { paper, inks } = pick(random, PAPERS);
  return { paper, ink: pick(random, inks) };
}

/** A hand moving about without a plan: 1-3 smooth random strokes. */
function scribble(random: Random): Glyph {
  const strokes: Point[][] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let s = 0; s < count; s++) {
    let x = 0.2 + random() * 0.6;
    let y = 0.2 + random() * 0.6;
    let heading = random() * Math.PI * 2;
    let turn = (random() * 2 - 1) * 0.6;
    const points: Point[] = [[x, y]];
    const steps = 15 + Math.floor(random() * 30);
    for (let i = 0; i < steps; i++) {
      turn = Math.max(-0.9, Math.min(0.9, turn + (random() * 2 - 1) * 0.5));
      heading += turn;
      x += 0.06 * Math.cos(heading);
      y += 0.06 * Math.sin(heading);
      // Bounce off the edges of the unit box.
      if (x < 0 || x > 1) heading = Math.PI - heading;
      if (y < 0 || y > 1) heading = -heading;
      x = Math.max(0, Math.min(1, x));
      y = Math.max(0, Math.min(1, y));
      points.push([x, y]);
    }
    strokes.push(points);
  }
  return strokes;
}

/** Specks and short dashes scattered over the pad (a dirty scan, a tapping child). */
function noise(random: Random): Glyph {
  const count = 6 + Math.floor(random() * 20);
  return Array.from({ length: count }, () => {
    const x = random();
    const y = random();
    const dash = random() < 0.5 ? 0 : 0.04 + random() * 0.08;
    const angle = random() * Math.PI * 2;
    return [[x, y], [x + dash * Math.cos(angle), y + dash * Math.sin(angle)]] as Point[];
  });
}

/**
 * A seeded set of synthetic pad drawings of the digits 0-9, `perDigit` of each (default 30), in
 * every template style, with varied size, place, slant, rotation, aspect, wobble, pen width, ink
 * and paper. Same seed, same drawings. Render one with `renderDrawing`.
 */
export function drawnDigits(options: { seed: number; perDigit?: number; variation?: DrawingVariation }): Drawing[] {
  const random = createRng(options.seed);
  const perDigit = options.perDigit ?? 30;
  const drawings: Drawing[] = [];
  for (let i = 0; i < perDigit; i++) {
    for (let digit = 0; digit < 10; digit++) {
      const styles = DIGIT_GLYPHS[digit]!;
      const glyph = styles[i % styles.length]!;
      drawings.push({ kind: 'digit', name: String(digit), label: digit, ...place(glyph, random, options.variation ?? {}), ...colours(random) });
    }
  }
  return drawings;
}

/**
 * A seeded set of `count` (default 200) drawings that are not digits: letters (40%), shapes and
 * symbols (25%), scribbles (25%) and scattered specks (10%), varied like `drawnDigits`.
 */
export function nonDigitDrawings(options: {
  seed: number;
  count?: number;
  variation?: DrawingVariation;
  /** Letters and shapes to leave out (to test on kinds a model never saw), or to keep only with `only`. */
  exclude?: readonly string[];
  only?: readonly string[];
}): Drawing[] {
  const random = createRng(options.seed);
  const count = options.count ?? 200;
  const wanted = (name: string) => !options.exclude?.includes(name) && (!options.only || options.only.includes(name));
  const letters = Object.keys(LETTER_GLYPHS).filter(wanted);
  const shapes = Object.keys(SHAPE_GLYPHS).filter(wanted);
  if (letters.length === 0 || shapes.length === 0) {
    throw new DigitsError('BAD_ARGUMENT', `nonDigitDrawings needs at least one letter and one shape, got ${letters.length} and ${shapes.length}`);
  }
  const drawings: Drawing[] = [];
  for (let i = 0; i < count; i++) {
    const slot = i % 20;
    const [kind, name, glyph]: [DrawingKind, string, Glyph] =
      slot < 8
        ? ['letter', letters[(i * 7 + Math.floor(i / 20)) % letters.length]!, LETTER_GLYPHS[letters[(i * 7 + Math.floor(i / 20)) % letters.length]!]!]
        : slot < 13
          ? ['shape', shapes[(i * 5 + Math.floor(i / 20)) % shapes.length]!, SHAPE_GLYPHS[shapes[(i * 5 + Math.floor(i / 20)) % shapes.length]!]!]
          : slot < 18
            ? ['scribble', 'scribble', scribble(random)]
            : ['noise', 'noise', noise(random)];
    // Specks spread over most of the pad; a scribble's many turns want a finer pen than a glyph.
    const variation: DrawingVariation =
      kind === 'noise'
        ? { ...options.variation, size: [0.6, 0.95], penWidth: [0.04, 0.08] }
        : kind === 'scribble'
          ? { ...options.variation, penWidth: [0.04, 0.1] }
          : (options.variation ?? {});
    drawings.push({ kind, name, ...place(glyph, random, variation), ...colours(random) });
  }
  return drawings;
}

/**
 * Rasterises a drawing onto a `size` x `size` RGB image (default 140): antialiased round pen over
 * the paper colour, with a little paper grain (seeded by `grainSeed`). Feed it to preprocessImage.
 */
export function renderDrawing(drawing: Drawing, size = 140, grainSeed = 1): RawImage {
  const coverage = new Float32Array(size * size);
  const radius = Math.max(1, (drawing.penWidth * size) / 2);
  for (const stroke of drawing.strokes) {
    const points = stroke.map(([x, y]) => [x * size, y * size] as const);
    for (let i = 0; i < Math.max(1, points.length - 1); i++) {
      const a = points[i]!;
      const b = points[Math.min(i + 1, points.length - 1)]!;
      paintSegment(coverage, size, a, b, radius);
    }
  }
  const grain = createRng(grainSeed);
  const data = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    const c = coverage[p]!;
    const jitter = (grain() * 2 - 1) * 4;
    for (let k = 0; k < 3; k++) {
      data[p * 3 + k] = Math.max(0, Math.min(255, Math.round(drawing.paper[k]! * (1 - c) + drawing.ink[k]! * c + jitter)));
    }
  }
  return { data, width: size, height: size, channels: 3 };
}

/** Round-capped segment a-b of the given radius: coverage = max over strokes, 1-px antialiased edge. */
function paintSegment(coverage: Float32Array, size: number, a: readonly [number, number], b: readonly [number, number], radius: number): void {
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - radius - 1));
  const x1 = Math.min(size - 1, Math.ceil(Math.max(a[0], b[0]) + radius + 1));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - radius - 1));
  const y1 = Math.min(size - 1, Math.ceil(Math.max(a[1], b[1]) + radius + 1));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const length2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - a[0];
      const py = y + 0.5 - a[1];
      const t = length2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / length2)) : 0;
      const distance = Math.hypot(px - t * dx, py - t * dy);
      const c = Math.max(0, Math.min(1, radius + 0.5 - distance));
      const p = y * size + x;
      if (c > coverage[p]!) coverage[p] = c;
    }
  }
}

/**
 * Renders each drawing (see renderDrawing) and runs it through preprocessImage: n*784 floats,
 * what a model reads from a visitor's pad.
 */
export function drawingPixels(drawings: readonly Drawing[], size = 112): Float32Array {
  const out = new Float32Array(drawings.length * 784);
  drawings.forEach((drawing, i) => out.set(preprocessImage(renderDrawing(drawing, size, i + 1)).pixels, i * 784));
  return out;
}
