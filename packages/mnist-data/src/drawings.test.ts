import { describe, expect, it } from 'vitest';
import { drawingPixels, drawnDigits, nonDigitDrawings, renderDrawing } from './drawings';
import { LETTER_GLYPHS } from './glyphs';

describe('generated drawings', () => {
  it('are reproducible from the seed and differ between seeds', () => {
    expect(drawnDigits({ seed: 4, perDigit: 3 })).toEqual(drawnDigits({ seed: 4, perDigit: 3 }));
    expect(drawnDigits({ seed: 4, perDigit: 3 })).not.toEqual(drawnDigits({ seed: 5, perDigit: 3 }));
    expect(drawingPixels(nonDigitDrawings({ seed: 2, count: 20 }), 56)).toEqual(drawingPixels(nonDigitDrawings({ seed: 2, count: 20 }), 56));
  });

  it('draw every digit equally often, inside the pad, with varied pens and papers', () => {
    const drawings = drawnDigits({ seed: 1, perDigit: 12 });
    expect(drawings).toHaveLength(120);
    for (let d = 0; d < 10; d++) expect(drawings.filter((x) => x.label === d)).toHaveLength(12);
    for (const drawing of drawings) {
      for (const [x, y] of drawing.strokes.flat()) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(1);
      }
    }
    expect(new Set(drawings.map((d) => d.paper.join())).size).toBeGreaterThanOrEqual(5);
    const pens = drawings.map((d) => d.penWidth);
    expect(Math.max(...pens) / Math.min(...pens)).toBeGreaterThan(3);
  });

  it('mix letters, shapes, scribbles and specks, and can leave kinds out', () => {
    const drawings = nonDigitDrawings({ seed: 3, count: 100 });
    const kinds = Object.fromEntries(['letter', 'shape', 'scribble', 'noise'].map((k) => [k, drawings.filter((d) => d.kind === k).length]));
    expect(kinds).toEqual({ letter: 40, shape: 25, scribble: 25, noise: 10 });
    expect(drawings.every((d) => d.label === undefined)).toBe(true);
    const without = nonDigitDrawings({ seed: 3, count: 200, exclude: ['A', 'K', 'star'] });
    expect(without.some((d) => ['A', 'K', 'star'].includes(d.name))).toBe(false);
    const only = nonDigitDrawings({ seed: 3, count: 40, only: ['K', 'star'] });
    expect(new Set(only.filter((d) => d.kind === 'letter' || d.kind === 'shape').map((d) => d.name))).toEqual(new Set(['K', 'star']));
    expect(() => nonDigitDrawings({ seed: 1, exclude: Object.keys(LETTER_GLYPHS) })).toThrow(/at least one letter/);
  });

  it('render as ink on paper that preprocessing turns into MNIST-style 28x28 inputs', () => {
    const [drawing] = drawnDigits({ seed: 9, perDigit: 1 });
    const image = renderDrawing(drawing!, 100);
    expect([image.width, image.height, image.channels, image.data.length]).toEqual([100, 100, 3, 30000]);
    // the border is paper (with grain), some pixels are ink
    const lum = (p: number) => image.data[p * 3]! + image.data[p * 3 + 1]! + image.data[p * 3 + 2]!;
    const paper = drawing!.paper[0] + drawing!.paper[1] + drawing!.paper[2];
    const ink = drawing!.ink[0] + drawing!.ink[1] + drawing!.ink[2];
    expect(Math.abs(lum(0) - paper)).toBeLessThanOrEqual(12);
    expect([...Array(10000).keys()].some((p) => Math.abs(lum(p) - ink) <= 12)).toBe(true);
    const pixels = drawingPixels(drawnDigits({ seed: 9, perDigit: 2 }), 84);
    expect(pixels).toHaveLength(20 * 784);
    for (let i = 0; i < 20; i++) expect(Math.max(...pixels.subarray(i * 784, (i + 1) * 784))).toBe(1);
  });
});
