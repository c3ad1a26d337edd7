const SHADES = ' .:-=+*#%@';

/** A 28x28 digit as text, two characters per pixel so it keeps its proportions in a terminal; blank rows cropped. */
export function terminalPreview(pixels: ArrayLike<number>, width = 28, height = 28): string {
  const scale = pixels instanceof Float32Array || pixels instanceof Float64Array ? 1 : 255;
  const lines: string[] = [];
  for (let y = 0; y < height; y += 1) {
    let line = '';
    for (let x = 0; x < width; x += 1) {
      const value = (pixels[y * width + x] ?? 0) / scale;
      const shade = SHADES[Math.min(SHADES.length - 1, Math.floor(value * SHADES.length))] ?? ' ';
      line += shade + shade;
    }
    lines.push(line.trimEnd());
  }
  // blank rows above and below the digit only take up screen space
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}
