import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDocsPng } from '../test-utils/fixtures';
import { DIGITS_MARK_LENGTH, hasDigitsMark, markDigitsPng } from './png-mark';

/** The chunks of a PNG as [type, data], each CRC checked: what any decoder reads. */
function chunks(png: Uint8Array): [string, string][] {
  const view = Buffer.from(png);
  const out: [string, string][] = [];
  for (let at = 8; at < view.length; ) {
    const length = view.readUInt32BE(at);
    const type = view.toString('latin1', at + 4, at + 8);
    const crc = view.readUInt32BE(at + 8 + length);
    expect(crc, `CRC of ${type}`).toBe(crc32(view.subarray(at + 4, at + 8 + length)));
    out.push([type, type === 'tEXt' ? view.toString('latin1', at + 8, at + 8 + length) : `${length} bytes`]);
    at += 12 + length;
  }
  return out;
}

describe("digits' PNG mark", () => {
  it.each(['confusion.png', 'seen-28x28.png'])('%s (a real resvg / pngjs PNG): marked, it is the same image with a valid Software tEXt chunk after IHDR', (name) => {
    const png = readDocsPng(name);
    expect(hasDigitsMark(png)).toBe(false);
    const marked = markDigitsPng(png);
    expect(hasDigitsMark(marked)).toBe(true);
    const [header, mark, ...rest] = chunks(marked);
    expect(header![0]).toBe('IHDR');
    expect(mark).toEqual(['tEXt', 'Software\0digits']);
    expect([header, ...rest]).toEqual(chunks(png));
    expect(rest.at(-1)![0]).toBe('IEND');
    expect(markDigitsPng(marked)).toBe(marked);
    expect(DIGITS_MARK_LENGTH).toBe(60);
  });

  it('only the exact mark counts: other Software text, a cut-off head, or not a PNG at all', () => {
    const marked = markDigitsPng(readDocsPng('seen-28x28.png'));
    const other = Buffer.from(marked);
    other.write('GIMP!!', 33 + 8 + 9, 'latin1');
    expect(hasDigitsMark(other)).toBe(false);
    expect(hasDigitsMark(marked.subarray(0, DIGITS_MARK_LENGTH - 1))).toBe(false);
    const text = new TextEncoder().encode('Software\0digits, a text file that looks like it');
    expect(hasDigitsMark(text)).toBe(false);
    expect(markDigitsPng(text)).toBe(text);
  });

  it('arbitrary bytes are never taken for a mark and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(hasDigitsMark(bytes)).toBe(false);
        expect(markDigitsPng(bytes)).toBe(bytes);
      }),
      { seed: 12, numRuns: 500 },
    );
  });
});
