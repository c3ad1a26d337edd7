import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/**
 * Real test digits re-drawn the ways people hand them to `digits predict`: off-centre on a larger
 * canvas, scaled up, dark ink on white paper (JPEG), and a canvas export with a transparent background.
 */
export type Variant = 'off-centre' | 'scaled' | 'dark-on-light' | 'transparent';

interface Canvas {
  width: number;
  height: number;
  /** RGBA */
  data: Uint8Array;
}

function draw(digit: Uint8Array, width: number, height: number, scale: number, left: number, top: number, ink: (v: number) => [number, number, number, number], background: [number, number, number, number]): Canvas {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(background, i * 4);
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const v = digit[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!;
      if (v === 0) continue;
      data.set(ink(v), ((top + y) * width + left + x) * 4);
    }
  }
  return { width, height, data };
}

function writePng(file: string, canvas: Canvas): void {
  const png = new PNG({ width: canvas.width, height: canvas.height });
  png.data = Buffer.from(canvas.data);
  writeFileSync(file, PNG.sync.write(png));
}

/** Writes the digit (28x28 bytes, white on black as in MNIST) as `variant`; returns the file path. */
export function renderDigit(dir: string, name: string, digit: Uint8Array, variant: Variant): string {
  switch (variant) {
    case 'off-centre': {
      const file = join(dir, `${name}.png`);
      writePng(file, draw(digit, 120, 72, 1, 84, 6, (v) => [v, v, v, 255], [0, 0, 0, 255]));
      return file;
    }
    case 'scaled': {
      const file = join(dir, `${name}.png`);
      writePng(file, draw(digit, 200, 180, 5, 20, 30, (v) => [v, v, v, 255], [0, 0, 0, 255]));
      return file;
    }
    case 'dark-on-light': {
      const file = join(dir, `${name}.jpg`);
      const canvas = draw(digit, 112, 112, 3, 14, 14, (v) => [255 - v, 255 - v, 255 - v, 255], [255, 255, 255, 255]);
      writeFileSync(file, jpeg.encode({ data: Buffer.from(canvas.data), width: canvas.width, height: canvas.height }, 92).data);
      return file;
    }
    case 'transparent': {
      // what a <canvas> export of black strokes looks like: colour black, coverage in alpha
      const file = join(dir, `${name}.png`);
      writePng(file, draw(digit, 140, 140, 4, 14, 14, (v) => [0, 0, 0, v], [0, 0, 0, 0]));
      return file;
    }
  }
}
