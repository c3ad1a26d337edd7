/**
 * Every code a DigitsError can carry, with what it means: the one list to branch on (and to
 * document from). Grouped by where the failure comes from.
 */
export const DIGITS_ERROR_CODES = {
  // data files and datasets
  /** An IDX file does not start with the IDX magic (two zero bytes, a dtype byte, a dimension count). */
  IDX_BAD_MAGIC: 'not an IDX file',
  /** The IDX dtype byte is none of the six the format defines. */
  IDX_UNSUPPORTED_DTYPE: 'unknown IDX element type',
  /** The IDX payload is shorter or longer than its header's dimensions say. */
  IDX_SIZE_MISMATCH: 'IDX data does not match its header',
  /** An images file and its labels file hold different counts. */
  IDX_COUNT_MISMATCH: 'images and labels counts differ',
  /** A label is outside 0..classes-1. */
  IDX_BAD_LABEL: 'label out of range',
  /** IDX images with no pixels (0 rows or columns), or train and test images of different sizes. */
  IDX_BAD_IMAGE_SIZE: 'IDX images of no or mismatched size',
  /** No dataset at the given name or directory. */
  DATASET_NOT_FOUND: 'dataset not found',
  /** A dataset directory lacks one of the four IDX files (each name tried is listed). */
  DATASET_FILE_MISSING: 'dataset file missing',
  /** A file's SHA-256 is not the published one. */
  CHECKSUM_MISMATCH: 'checksum mismatch',
  /** Every mirror failed (each URL and its reason are listed). */
  DOWNLOAD_FAILED: 'download failed',
  /** An image to classify has no ink (blank, or too little contrast). */
  NO_INK: 'image has no ink',
  /** An image cannot be decoded, or its pixel buffer does not match width x height x channels. */
  BAD_IMAGE: 'bad image',
  // models
  /** The backend asked for cannot start here (the reason says what to install or why). */
  BACKEND_UNAVAILABLE: 'backend unavailable',
  /** A public function got an argument of the wrong type or value (the parameter is named). */
  BAD_ARGUMENT: 'bad argument',
  /** No model at the given path or URL. */
  MODEL_NOT_FOUND: 'model not found',
  /** A model file is not valid (JSON, topology, manifest, HDF5 structure, checkpoint state). */
  MODEL_INVALID: 'invalid model',
  /** Stored weights do not match the model (missing, extra, wrong shape or dtype, truncated). */
  MODEL_WEIGHTS_INVALID: 'weights do not match the model',
  /** A stored weight (tfjs weights.bin or a Keras dataset) holds NaN or +-Infinity; the tensor is named. */
  MODEL_WEIGHTS_NOT_FINITE: 'non-finite weights',
  /** The model's input (pixels per image) or output (classes) does not fit the data it is given. */
  MODEL_SHAPE_MISMATCH: 'model does not fit the data',
  /** The model computed NaN or +-Infinity for an input, so no class can be named. */
  PREDICTION_NOT_FINITE: 'non-finite prediction',
  /** A manifest path points outside the model's directory. */
  UNSAFE_PATH: 'path outside the model directory',
  /** A .h5 file is not HDF5 (wrong magic bytes). */
  NOT_HDF5: 'not an HDF5 file',
  /** A .keras file is not a zip archive. */
  NOT_ZIP: 'not a zip archive',
  /** A Keras weights-only file was given without its architecture (config JSON). */
  KERAS_CONFIG_MISSING: 'Keras architecture missing',
  /** A layer (or a layer option) digits cannot import, export or run; the layer is named. */
  UNSUPPORTED_LAYER: 'unsupported layer',
  /** A file or save format digits does not read or write. */
  UNSUPPORTED_FORMAT: 'unsupported format',
  /** Writing a file failed (disk full, permissions, a directory in the way); the old file is intact. */
  WRITE_FAILED: 'write failed',
  /** The operation was stopped through its AbortSignal (Ctrl-C in the CLI). */
  ABORTED: 'aborted',
  // writing into the user's file system (what digits writes, never deletes)
  /** The target holds files digits did not write (they are listed), or is a link to nothing; nothing is replaced. */
  TARGET_NOT_OURS: 'target holds files digits did not write',
  /** The target already holds a saved model; replacing it needs an explicit overwrite (--force, --resume). */
  MODEL_EXISTS: 'a model is already there',
  /** Another live process is writing to the same target (its lock file names the pid). */
  TARGET_LOCKED: 'another digits process is writing there',
  /** A checkpoint's dataset is not the one found now (other checksums): resuming would train on other data. */
  DATASET_CHANGED: 'dataset changed since the checkpoint',
  // limits on untrusted input, checked before anything large is allocated (values: limits.ts, READMEs)
  /** The path is a directory, FIFO, device (e.g. a link to /dev/zero) or socket: only regular files are read. */
  NOT_A_REGULAR_FILE: 'not a regular file',
  /** A file is larger than its kind may be (an IDX file, a model.json, a Keras file, weights, an image). */
  FILE_TOO_LARGE: 'file too large',
  /** gzip data or a zip member inflates past what its header declares, or past the ceiling for its kind. */
  DECOMPRESSION_LIMIT: 'decompression limit',
  /** Declared dimensions (an IDX header, a layer config, a weight or HDF5 dataset) exceed the sane bounds. */
  SHAPE_LIMIT: 'shape limit',
  /** An image header declares more pixels than MAX_IMAGE_PIXELS; refused before decoding. */
  IMAGE_TOO_LARGE: 'image too large',
  /** A download is larger than the file it should be (its known size); the transfer is stopped. */
  DOWNLOAD_TOO_LARGE: 'download too large',
} as const;

/**
 * Every failure the digits libraries report on purpose is a DigitsError: a stable string `code`
 * to branch on, the `file` (path, URL or name) it concerns when there is one, and a message that
 * says what was expected and what was found. Apps print `message` and exit; no stack trace needed.
 */
export type DigitsErrorCode = keyof typeof DIGITS_ERROR_CODES;

export class DigitsError extends Error {
  override readonly name = 'DigitsError';
  readonly code: DigitsErrorCode;
  readonly file: string | undefined;
  /** What went wrong, without the file name: for apps that name the file themselves ("Could not load x.h5: <reason>"). */
  readonly reason: string;

  constructor(code: DigitsErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.reason = message;
  }
}

export function isDigitsError(value: unknown, code?: DigitsErrorCode): value is DigitsError {
  return value instanceof DigitsError && (code === undefined || value.code === code);
}
