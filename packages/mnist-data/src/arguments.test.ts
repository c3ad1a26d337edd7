import { describe, expect, it } from 'vitest';
import { datasetFromIdx, encodeIdx, IDX_FILE_NAMES, MNIST_CLASS_NAMES, parseIdx, splitFromIdx, type IdxArray } from './index';
import { readFileBytes, readIdxFile, writeFileAtomic } from './node';

// JavaScript callers get a DigitsError naming the parameter, never a TypeError from inside a parser.
describe('public entry points check their arguments', () => {
  it('parseIdx with a path instead of bytes says to use readIdxFile', () => {
    expect(() => parseIdx('train-images-idx3-ubyte' as never)).toThrow(
      expect.objectContaining({ name: 'DigitsError', code: 'BAD_ARGUMENT', message: expect.stringMatching(/the IDX bytes must be a Uint8Array, got a string .*readIdxFile/) }),
    );
    expect(() => parseIdx(new ArrayBuffer(8) as never)).toThrow(/got an ArrayBuffer \(wrap it: new Uint8Array\(buffer\)\)/);
    expect(() => parseIdx(undefined as never)).toThrow(/got undefined/);
  });

  it('encodeIdx, datasetFromIdx, the file functions', async () => {
    expect(() => encodeIdx(null as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => datasetFromIdx('x', MNIST_CLASS_NAMES, { trainImages: 'a' } as never)).toThrow(/datasetFromIdx: files.trainImages must be a Uint8Array, got a string/);
    await expect(readIdxFile(42 as never)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/readIdxFile: path must be a non-empty string, got a number/) });
    await expect(readFileBytes('' as never)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/empty string/) });
    await expect(writeFileAtomic('x', 'text' as never)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

const images = (count: number, rows: number, cols: number): IdxArray => ({ dtype: 'uint8', dims: [count, rows, cols], data: new Uint8Array(count * rows * cols) });
const labels = (count: number): IdxArray => ({ dtype: 'uint8', dims: [count], data: new Uint8Array(count) });

describe('image sizes', () => {
  it('images of 0x0 (or 0 rows / 0 columns) are IDX_BAD_IMAGE_SIZE naming the images file', () => {
    for (const [rows, cols] of [[0, 0], [0, 28], [28, 0]] as const) {
      expect(() => splitFromIdx(images(5, rows, cols), labels(5), 'imgs.idx', 'labels.idx')).toThrow(
        expect.objectContaining({ code: 'IDX_BAD_IMAGE_SIZE', file: 'imgs.idx', message: `imgs.idx: the images are ${rows}x${cols}: an image needs at least one pixel` }),
      );
    }
  });

  it('train and test images of different sizes are IDX_BAD_IMAGE_SIZE naming both sizes', () => {
    const files = {
      trainImages: encodeIdx(images(4, 28, 28)),
      trainLabels: encodeIdx(labels(4)),
      testImages: encodeIdx(images(2, 10, 10)),
      testLabels: encodeIdx(labels(2)),
    };
    expect(() => datasetFromIdx('odd', MNIST_CLASS_NAMES, files)).toThrow(
      expect.objectContaining({ code: 'IDX_BAD_IMAGE_SIZE', file: IDX_FILE_NAMES.testImages, message: expect.stringMatching(/test images are 10x10 but the training images .* are 28x28/) }),
    );
    // 10x10 everywhere is a valid dataset: whether a model fits it is @digits/model's question
    expect(datasetFromIdx('small', MNIST_CLASS_NAMES, { ...files, trainImages: encodeIdx(images(4, 10, 10)) }).train.rows).toBe(10);
  });
});
