/**
 * Paints signed values (-1..1) on a square canvas: positive red, negative blue, over an optional
 * grey base image (0..1), e.g. saliency over the input the model saw.
 */
export function paintSigned(canvas: HTMLCanvasElement, values: ArrayLike<number>, base?: ArrayLike<number>): void {
  const side = Math.round(Math.sqrt(values.length));
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(side, side);
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] ?? 0));
  for (let i = 0; i < side * side; i++) {
    const v = max > 0 ? (values[i] ?? 0) / max : 0;
    const g = Math.round((base?.[i] ?? 0) * 90); // the input, dimmed, under the colours
    const a = Math.min(1, Math.abs(v) * 1.5);
    const [r, gr, b] = v >= 0 ? [255, 64, 32] : [48, 128, 255];
    image.data[i * 4] = Math.round(g + (r - g) * a);
    image.data[i * 4 + 1] = Math.round(g + (gr - g) * a);
    image.data[i * 4 + 2] = Math.round(g + (b - g) * a);
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Paints non-negative values (a feature map) in grey, scaled to its own maximum. */
export function paintGrey(canvas: HTMLCanvasElement, values: ArrayLike<number>, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] ?? 0);
  for (let i = 0; i < width * height; i++) {
    const v = max > 0 ? Math.round(((values[i] ?? 0) / max) * 255) : 0;
    image.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}
