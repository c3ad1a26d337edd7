/** Paints a 28x28 image (0..1 floats or 0..255 bytes, white ink on black) onto a 28x28 canvas. */
export function paintPixels(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, scale = 1): void {
  const side = Math.round(Math.sqrt(pixels.length));
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.max(0, Math.min(255, Math.round((pixels[i] ?? 0) * scale)));
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
