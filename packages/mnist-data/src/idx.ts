import { assertBytes } from './arguments';
import { DigitsError } from './errors';

/** The element types an IDX header can declare (third magic byte). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  dims: number[];
  data: IdxData;
}

interface DtypeInfo {
  code: number;
  size: number;
  create(length: number): IdxData;
}

const DTYPES: Record<IdxDtype, DtypeInfo> = {
  uint8: { code: 0x08, size: 1, create: (n) => new Uint8Array(n) },
  int8: { code: 0x09, size: 1, create: (n) => new Int8Array(n) },
  int16: { code: 0x0b, size: 2, create: (n) => new Int16Array(n) },
  int32: { code: 0x0c, size: 4, create: (n) => new Int32Array(n) },
  float32: { code: 0x0d, size: 4, create: (n) => new Float32Array(n) },
  float64: { code: 0x0e, size: 8, create: (n) => new Float64Array(n) },
};

const DTYPE_BY_CODE = new Map(Object.entries(DTYPES).map(([name, info]) => [info.code, name as IdxDtype]));

const hex = (value: number, width: number) => `0x${value.toString(16).padStart(width, '0')}`;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** What an IDX header declares: element type, dimensions, and the file size they add up to. */
export interface IdxHeader {
  dtype: IdxDtype;
  dims: number[];
  /** 4 + 4 * rank */
  headerSize: number;
  /** headerSize + product(dims) * element size: the exact size of a well-formed file */
  byteLength: number;
}

/**
 * Reads an IDX header from the first bytes of a file (the data need not be there), so callers
 * can bound what a file may inflate to, or allocate, before reading the rest.
 */
export function readIdxHeader(bytes: Uint8Array, file?: string): IdxHeader {
  assertBytes(bytes, 'the IDX bytes', 'to read a file by path use readIdxFile from @digits/mnist-data/node');
  const where = file === undefined ? {} : { file };
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const found = bytes.length >= 2 ? hex(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0), 4) : `${bytes.length} bytes`;
    const hint = isGzip(bytes) ? ' (the file is gzip-compressed; gunzip it first or use readIdxFile)' : '';
    throw new DigitsError('IDX_BAD_MAGIC', `not an IDX file: expected magic 0x0000, found ${found}${hint}`, where);
  }
  const code = bytes[2]!;
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) {
    throw new DigitsError(
      'IDX_UNSUPPORTED_DTYPE',
      `unsupported IDX element type ${hex(code, 2)}; expected one of 0x08 0x09 0x0b 0x0c 0x0d 0x0e`,
      where,
    );
  }
  const rank = bytes[3]!;
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) {
    throw new DigitsError(
      'IDX_SIZE_MISMATCH',
      `truncated header: ${rank} dimensions need ${headerSize} header bytes, file has ${bytes.length}`,
      where,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return { dtype, dims, headerSize, byteLength: headerSize + dims.reduce((a, b) => a * b, 1) * DTYPES[dtype].size };
}

/**
 * Parses an uncompressed IDX file. Byte data is returned as a view into `bytes` (no copy);
 * wider types are decoded from big-endian into a fresh typed array. The header must account for
 * every byte: truncated files and trailing bytes are both errors, never silently trimmed.
 */
export function parseIdx(bytes: Uint8Array, file?: string): IdxArray {
  const where = file === undefined ? {} : { file };
  const { dtype, dims, headerSize, byteLength: expected } = readIdxHeader(bytes, file);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'trailing bytes';
    throw new DigitsError(
      'IDX_SIZE_MISMATCH',
      `${what}: header [${dims.join(', ')}] of ${dtype} needs ${expected} bytes, found ${bytes.length}`,
      where,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = (expected - headerSize) / DTYPES[dtype].size;
  return { dtype, dims, data: decode(dtype, view, headerSize, length, bytes) };
}

function decode(dtype: IdxDtype, view: DataView, offset: number, length: number, bytes: Uint8Array): IdxData {
  if (dtype === 'uint8') return bytes.subarray(offset, offset + length);
  if (dtype === 'int8') return new Int8Array(bytes.buffer, bytes.byteOffset + offset, length);
  const out = DTYPES[dtype].create(length);
  const size = DTYPES[dtype].size;
  for (let i = 0, p = offset; i < length; i++, p += size) {
    out[i] =
      dtype === 'int16'
        ? view.getInt16(p, false)
        : dtype === 'int32'
          ? view.getInt32(p, false)
          : dtype === 'float32'
            ? view.getFloat32(p, false)
            : view.getFloat64(p, false);
  }
  return out;
}

/** Encodes an array as an uncompressed IDX file (big-endian, as the format requires). */
export function encodeIdx(array: IdxArray): Uint8Array {
  if (array == null || !Array.isArray(array.dims) || !ArrayBuffer.isView(array.data)) {
    throw new DigitsError('BAD_ARGUMENT', 'encodeIdx expects { dtype, dims: number[], data: typed array }');
  }
  const info = DTYPES[array.dtype];
  if (info === undefined) {
    throw new DigitsError('IDX_UNSUPPORTED_DTYPE', `cannot encode IDX element type ${String(array.dtype)}`);
  }
  const length = array.dims.reduce((a, b) => a * b, 1);
  if (array.data.length !== length) {
    throw new DigitsError(
      'IDX_SIZE_MISMATCH',
      `dims [${array.dims.join(', ')}] need ${length} elements, data has ${array.data.length}`,
    );
  }
  if (array.dims.length > 255) throw new DigitsError('BAD_ARGUMENT', 'IDX supports at most 255 dimensions');
  const headerSize = 4 + 4 * array.dims.length;
  const out = new Uint8Array(headerSize + length * info.size);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = array.dims.length;
  array.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  if (info.size === 1) {
    out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, length), headerSize);
    return out;
  }
  for (let i = 0, p = headerSize; i < length; i++, p += info.size) {
    const v = array.data[i]!;
    if (array.dtype === 'int16') view.setInt16(p, v, false);
    else if (array.dtype === 'int32') view.setInt32(p, v, false);
    else if (array.dtype === 'float32') view.setFloat32(p, v, false);
    else view.setFloat64(p, v, false);
  }
  return out;
}
