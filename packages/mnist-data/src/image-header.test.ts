import { describe, expect, it } from 'vitest';
import { assertImageSize, MAX_IMAGE_PIXELS, preprocessImage, readImageHeader } from './index';

const png = (width: number, height: number) => {
  const bytes = Buffer.alloc(33);
  Buffer.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13).copy(bytes);
  bytes.write('IHDR', 12, 'latin1');
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes;
};
/** SOI, an APP0 segment, then a SOF2 (progressive) frame header: the size sits after the segments before it. */
const jpeg = (width: number, height: number) =>
  Buffer.of(0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xff, 0xc2, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0);

describe('image headers: the size before any decoding', () => {
  it('reads PNG (IHDR) and JPEG (first SOF after other segments and fill bytes) sizes', () => {
    expect(readImageHeader(png(20000, 30000))).toEqual({ format: 'png', width: 20000, height: 30000 });
    expect(readImageHeader(jpeg(640, 480))).toEqual({ format: 'jpeg', width: 640, height: 480 });
    expect(readImageHeader(Buffer.from('GIF89a'))).toBeUndefined();
  });

  it('says when the header is missing or cut off (BAD_IMAGE)', () => {
    expect(() => readImageHeader(png(1, 1).subarray(0, 20), 'cut.png')).toThrow(/^cut\.png: damaged image: the PNG has no IHDR header$/);
    expect(() => readImageHeader(Buffer.of(0xff, 0xd8, 0xff, 0xda, 0, 2), 'scan.jpg')).toThrow(/scan\.jpg: damaged image: the JPEG has no frame header/);
  });

  it(`refuses more than ${MAX_IMAGE_PIXELS} pixels (40 MP) with IMAGE_TOO_LARGE, here and in preprocessImage`, () => {
    expect(() => assertImageSize(8192, 5120)).not.toThrow();
    expect(() => assertImageSize(8192, 5121, 'big.png')).toThrow(/^big\.png: the image is 8192 x 5121 pixels \(40\.0 MP\), more than the 40\.0 MP limit$/);
    expect(() => assertImageSize(20000, 20000)).toThrow(expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }));
    // a decoder's output claiming 20000 x 20000 is refused before any pixel is looked at
    expect(() => preprocessImage({ data: new Uint8Array(4), width: 20000, height: 20000, channels: 1 })).toThrow(expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }));
  });
});
