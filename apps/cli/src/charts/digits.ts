import { grayscalePng, pngDataUrl } from '../images/encode';
import { renderPng } from './render';
import { digitGridSpec, type DigitTile } from './specs';

const ENLARGE = 4;

export interface Digit {
  /** 28x28 bytes (0..255) or floats (0..1), white ink on black */
  pixels: ArrayLike<number>;
  caption: string;
  captionColor?: string;
}

/** A titled grid of digit images with captions, as a PNG. */
export function digitGridPng(digits: Digit[], options: { columns: number; title?: string; size?: number }): Promise<Buffer> {
  const side = options.size ?? 28;
  const tiles: DigitTile[] = digits.map((d) => ({
    url: pngDataUrl(grayscalePng(d.pixels, side, side, ENLARGE)),
    caption: d.caption,
    ...(d.captionColor ? { captionColor: d.captionColor } : {}),
  }));
  return renderPng(digitGridSpec(tiles, options.columns, options.title));
}
