/**
 * Derives independent 32-bit seeds from one user seed, so that every random stream (each layer's
 * initialiser, each dropout layer, each epoch's shuffle) is reproducible and none repeats another.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  for (const part of parts) {
    h = Math.imul(h ^ (Math.trunc(part) >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}
