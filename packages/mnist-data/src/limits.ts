/**
 * Bounds on untrusted input. Every file a user hands over is checked against these before
 * anything large is allocated, so no small hostile file can take gigabytes or hang: see the
 * README's "Limits" for what each one guards and the DigitsError code it raises.
 */

/** Largest IDX file (uncompressed bytes) read from disk or inflated from gzip: 256 MiB (MNIST's train images are 47 MB). */
export const MAX_IDX_BYTES = 256 * 1024 * 1024;

/** Trailing bytes past an IDX header's declared size that gunzip still keeps, so parseIdx can name them. */
export const IDX_GUNZIP_SLACK = 64 * 1024;

/**
 * Largest image (width x height) decoded: 40 megapixels (e.g. 8192 x 5120), checked from the
 * header. Decoding and preprocessing cost about 15 bytes a pixel: an RGBA PNG at this limit peaks
 * at 750 MB in the CLI; 64 MP would pass 1 GB.
 */
export const MAX_IMAGE_PIXELS = 40 * 1024 * 1024;

/** Largest image file read: 64 MiB. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/** Uncompressed sizes of the four MNIST-layout files (MNIST and Fashion-MNIST share them). */
export const MNIST_FILE_SIZES = {
  trainImages: 47_040_016,
  trainLabels: 60_008,
  testImages: 7_840_016,
  testLabels: 10_008,
} as const;
