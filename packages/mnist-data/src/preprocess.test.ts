import { describe, expect, it } from 'vitest';
import { createRng, imageAt, isDigitsError, normalize, preprocessImage, PREPROCESSING_SPEC, type RawImage } from './index';
import { centreOfMass, realMnist } from './test-utils/real-mnist';

/** Draws a 28x28 MNIST digit `zoom` times larger at (left, top) on a canvas, with `paint(ink 0..1)` giving the pixel bytes. */
function drawDigit(
  digit: Uint8Array,
  canvas: { width: number; height: number; channels: RawImage['channels']; background: number[] },
  at: { left: number; top: number; zoom: number },
  paint: (ink: number) => number[],
): RawImage {
  const { width, height, channels } = canvas;
  const data = new Uint8ClampedArray(width * height * channels);
  for (let p = 0; p < width * height; p++) data.set(canvas.background, p * channels);
  for (let y = 0; y < 28 * at.zoom; y++) {
    for (let x = 0; x < 28 * at.zoom; x++) {
      const ink = digit[Math.floor(y / at.zoom) * 28 + Math.floor(x / at.zoom)]! / 255;
      if (ink > 0) data.set(paint(ink), ((at.top + y) * width + at.left + x) * channels);
    }
  }
  return { data, width, height, channels };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('preprocessImage (MNIST-style)', () => {
  it('leaves a real MNIST digit essentially as it is', async () => {
    const { test } = await realMnist();
    for (const i of [0, 1, 2, 3, 4]) {
      const digit = imageAt(test, i);
      const out = preprocessImage({ data: digit, width: 28, height: 28, channels: 1 });
      expect(out.inverted).toBe(false);
      expect(out.background).toBe('dark');
      expect(out.pixels).toHaveLength(784);
      expect(correlation(out.pixels, normalize(digit))).toBeGreaterThan(0.9);
    }
  });

  it('centres a digit drawn off-centre and 5x too large, dark ink on noisy light paper', async () => {
    const { test } = await realMnist();
    const digit = imageAt(test, 0); // a 7
    const random = createRng(5);
    const photo = drawDigit(
      digit,
      { width: 400, height: 300, channels: 3, background: [235, 230, 220] },
      { left: 250, top: 20, zoom: 5 },
      (ink) => [235 - 200 * ink, 230 - 200 * ink, 220 - 190 * ink],
    );
    for (let i = 0; i < photo.data.length; i++) photo.data[i] = photo.data[i]! + Math.round((random() - 0.5) * 16);
    const out = preprocessImage(photo);
    expect(out.inverted).toBe(true);
    expect(out.background).toBe('light');
    expect(out.box.x).toBeGreaterThanOrEqual(250);
    expect(out.box.x + out.box.width).toBeLessThanOrEqual(250 + 140);
    expect(Math.max(out.box.width, out.box.height)).toBeGreaterThan(80); // 5x the ~20px digit
    const com = centreOfMass(out.pixels);
    expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);
    // no ink outside MNIST's 20px box area along the long side, values in 0..1
    expect(Math.max(...out.pixels)).toBe(1);
    expect(Math.min(...out.pixels)).toBe(0);
    expect(correlation(out.pixels, normalize(digit))).toBeGreaterThan(0.9);
  });

  it('reads ink from alpha on a transparent canvas (RGBA and gray+alpha)', async () => {
    const { test } = await realMnist();
    const digit = imageAt(test, 1); // a 2
    const rgba = drawDigit(digit, { width: 200, height: 200, channels: 4, background: [0, 0, 0, 0] }, { left: 10, top: 30, zoom: 4 }, (ink) => [20, 20, 20, 255 * ink]);
    const out = preprocessImage(rgba);
    expect(out.background).toBe('transparent');
    expect(out.inverted).toBe(false);
    expect(correlation(out.pixels, normalize(digit))).toBeGreaterThan(0.9);
    const grayAlpha = drawDigit(digit, { width: 120, height: 150, channels: 2, background: [255, 0] }, { left: 0, top: 0, zoom: 3 }, (ink) => [255, 255 * ink]);
    expect(correlation(preprocessImage(grayAlpha).pixels, normalize(digit))).toBeGreaterThan(0.9);
  });

  it('handles light ink on a dark board and opaque RGBA', async () => {
    const { test } = await realMnist();
    const digit = imageAt(test, 2);
    const board = drawDigit(digit, { width: 90, height: 90, channels: 4, background: [30, 40, 30, 255] }, { left: 3, top: 1, zoom: 2 }, (ink) => [30 + 220 * ink, 40 + 210 * ink, 30 + 220 * ink, 255]);
    const out = preprocessImage(board);
    expect(out.background).toBe('dark');
    expect(correlation(out.pixels, normalize(digit))).toBeGreaterThan(0.9);
  });

  it('throws NO_INK for a blank or featureless image, BAD_IMAGE for a wrong buffer size', () => {
    const blank = { data: new Uint8Array(50 * 40 * 4).fill(255), width: 50, height: 40, channels: 4 as const };
    expect(() => preprocessImage(blank)).toThrow(/no ink found/);
    const gray = { data: new Uint8Array(100).fill(128), width: 10, height: 10, channels: 1 as const };
    try {
      preprocessImage(gray);
      expect.unreachable();
    } catch (error) {
      expect(isDigitsError(error, 'NO_INK')).toBe(true);
    }
    const transparent = { data: new Uint8Array(16 * 4), width: 4, height: 4, channels: 4 as const };
    expect(() => preprocessImage(transparent)).toThrow(/no ink found/);
    expect(() => preprocessImage({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 })).toThrow(/needs 16 bytes, got 10/);
    expect(() => preprocessImage(gray, { background: 'transparent' })).toThrow(/needs an alpha channel/);
  });

  it('publishes a JSON-able spec of what it does', () => {
    expect(JSON.parse(JSON.stringify(PREPROCESSING_SPEC))).toEqual(PREPROCESSING_SPEC);
  });
});
