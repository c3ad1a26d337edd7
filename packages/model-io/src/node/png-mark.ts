import { crc32 } from 'node:zlib';

/**
 * How a PNG says "digits wrote me": a `tEXt` chunk `Software: digits` (a keyword the PNG spec
 * defines for the program that made the file) right after the header. The output writer puts it
 * into every PNG it writes and replaces an existing PNG outside a model directory only when it
 * carries it, so a second `digits inspect` or `digits evaluate --out DIR` just works and a
 * user's own `confusion.png` is never replaced without `--force`. Fixed place, fixed bytes: telling
 * needs only the first `DIGITS_MARK_LENGTH` bytes of a file, never parsing it.
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** 8-byte signature + IHDR (length, type, 13 data bytes, CRC): the first chunk ends here. */
const AFTER_HEADER = 8 + 4 + 4 + 13 + 4;
const MARK = markChunk('Software', 'digits');

/** Bytes from the start of a file that `hasDigitsMark` needs to see. */
export const DIGITS_MARK_LENGTH = AFTER_HEADER + MARK.length;

/** True for a PNG whose first chunk after the header is digits' `Software` mark. */
export function hasDigitsMark(head: Uint8Array): boolean {
  if (head.length < DIGITS_MARK_LENGTH || !isPngWithHeader(head)) return false;
  return MARK.every((byte, i) => head[AFTER_HEADER + i] === byte);
}

/** The PNG with digits' mark inserted after its header (unchanged if it has it; anything not a PNG is returned as is). */
export function markDigitsPng(bytes: Uint8Array): Uint8Array {
  if (!isPngWithHeader(bytes) || hasDigitsMark(bytes)) return bytes;
  const out = new Uint8Array(bytes.length + MARK.length);
  out.set(bytes.subarray(0, AFTER_HEADER));
  out.set(MARK, AFTER_HEADER);
  out.set(bytes.subarray(AFTER_HEADER), AFTER_HEADER + MARK.length);
  return out;
}

/** PNG signature followed by an IHDR chunk of its fixed 13-byte length. */
function isPngWithHeader(bytes: Uint8Array): boolean {
  if (bytes.length < AFTER_HEADER || !SIGNATURE.every((byte, i) => bytes[i] === byte)) return false;
  const ihdr = [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];
  return ihdr.every((byte, i) => bytes[8 + i] === byte);
}

/** A tEXt chunk: length, type, `keyword\0text` (Latin-1), CRC-32 over type and data. */
function markChunk(keyword: string, text: string): Uint8Array {
  const data = Buffer.from(`${keyword}\0${text}`, 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return new Uint8Array(chunk);
}
