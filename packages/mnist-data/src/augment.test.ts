import { describe, expect, it } from 'vitest';
import { augment, imageAt, takeFirst, transformImage, type Transform } from './index';
import { centreOfMass, realMnist, sameBytes } from './test-utils/real-mnist';

const none: Transform = { dx: 0, dy: 0, scale: 1, rotation: 0, thickness: 0 };
const ink = (image: Uint8Array) => image.reduce((a, b) => a + b, 0);

describe('transformImage', () => {
  it('identity, whole-pixel shifts and a 90 degree turn move pixels exactly', async () => {
    const digit = imageAt((await realMnist()).train, 0);
    expect(sameBytes(transformImage(digit, 28, 28, none), digit)).toBe(true);
    const shifted = transformImage(digit, 28, 28, { ...none, dx: 2, dy: -3 });
    for (let y = 3; y < 28; y++) for (let x = 0; x < 26; x++) expect(shifted[(y - 3) * 28 + x + 2]).toBe(digit[y * 28 + x]);
    const turned = transformImage(digit, 28, 28, { ...none, rotation: 90 });
    // clockwise: the input's row y becomes the output's column 27 - y
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) expect(turned[x * 28 + (27 - y)]).toBe(digit[y * 28 + x]);
  });

  it('zoom grows the ink, thickness thickens or thins strokes', async () => {
    const digit = imageAt((await realMnist()).train, 1);
    expect(ink(transformImage(digit, 28, 28, { ...none, scale: 1.2 }))).toBeGreaterThan(ink(digit) * 1.3);
    expect(ink(transformImage(digit, 28, 28, { ...none, thickness: 1 }))).toBeGreaterThan(ink(digit) * 1.2);
    expect(ink(transformImage(digit, 28, 28, { ...none, thickness: -1 }))).toBeLessThan(ink(digit) * 0.8);
  });
});

describe('augment', () => {
  it('is reproducible per seed, keeps labels, and keeps digits recognisably in place', async () => {
    const sample = takeFirst((await realMnist()).train, 200);
    const a = augment(sample, { seed: 1 });
    expect(sameBytes(a.images, augment(sample, { seed: 1 }).images)).toBe(true);
    expect(sameBytes(a.images, augment(sample, { seed: 2 }).images)).toBe(false);
    expect(sameBytes(a.labels, sample.labels)).toBe(true);
    let changed = 0;
    for (let i = 0; i < sample.count; i++) {
      const before = imageAt(sample, i);
      const after = imageAt(a, i);
      if (!sameBytes(before, after)) changed++;
      const [p, q] = [centreOfMass(before), centreOfMass(after)];
      expect(Math.hypot(p.x - q.x, p.y - q.y)).toBeLessThan(4); // shift <= 2 px each way, plus zoom/rotation
      expect(ink(after) / ink(before)).toBeGreaterThan(0.4);
      expect(ink(after) / ink(before)).toBeLessThan(2);
    }
    expect(changed).toBe(sample.count);
  });

  it('with every range at zero returns an exact copy; rejects bad ranges', async () => {
    const sample = takeFirst((await realMnist()).train, 20);
    const copy = augment(sample, { seed: 3, shift: 0, scale: 0, rotation: 0, thickness: 0 });
    expect(sameBytes(copy.images, sample.images)).toBe(true);
    expect(copy.images.buffer).not.toBe(sample.images.buffer);
    expect(() => augment(sample, { seed: 1, scale: 1.5 })).toThrow(/augmentation ranges/);
  });
});
