import { PNG } from 'pngjs';
import { imageAt, type Split } from '@digits/mnist-data';

/**
 * Renders a real MNIST test digit as a PNG the way a visitor's file would look: scaled up, either
 * dark ink on a light opaque background or dark ink on a transparent background.
 */
export function mnistPng(split: Split, index: number, style: 'dark-on-light' | 'transparent', scale = 4): Buffer {
  const pixels = imageAt(split, index);
  const side = split.cols * scale;
  const png = new PNG({ width: side, height: side, colorType: 6 });
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const ink = pixels[Math.floor(y / scale) * split.cols + Math.floor(x / scale)]!;
      const o = (y * side + x) * 4;
      if (style === 'dark-on-light') {
        png.data[o] = png.data[o + 1] = png.data[o + 2] = 255 - ink;
        png.data[o + 3] = 255;
      } else {
        png.data[o] = 20;
        png.data[o + 1] = 30;
        png.data[o + 2] = 90; // dark blue ink
        png.data[o + 3] = ink;
      }
    }
  }
  return PNG.sync.write(png);
}
