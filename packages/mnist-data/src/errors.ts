/**
 * Every failure the digits libraries report on purpose is a DigitsError: a stable string `code`
 * to branch on, the `file` (path, URL or name) it concerns when there is one, and a message that
 * says what was expected and what was found. Apps print `message` and exit; no stack trace needed.
 */
export type DigitsErrorCode =
  // data files and datasets
  | 'IDX_BAD_MAGIC'
  | 'IDX_UNSUPPORTED_DTYPE'
  | 'IDX_SIZE_MISMATCH'
  | 'IDX_COUNT_MISMATCH'
  | 'IDX_BAD_LABEL'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_FILE_MISSING'
  | 'CHECKSUM_MISMATCH'
  | 'DOWNLOAD_FAILED'
  | 'NO_INK'
  | 'BAD_IMAGE'
  // models
  | 'BACKEND_UNAVAILABLE'
  | 'BAD_ARGUMENT'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_INVALID'
  | 'MODEL_WEIGHTS_INVALID'
  | 'UNSAFE_PATH'
  | 'NOT_HDF5'
  | 'NOT_ZIP'
  | 'KERAS_CONFIG_MISSING'
  | 'UNSUPPORTED_LAYER'
  | 'UNSUPPORTED_FORMAT'
  | 'WRITE_FAILED'
  | 'ABORTED'
  // writing into the user's file system (what digits writes, never deletes)
  /** The target directory holds files digits did not write (they are listed); nothing is replaced. */
  | 'TARGET_NOT_OURS'
  /** The target already holds a saved model; replacing it needs an explicit overwrite (--force, --resume). */
  | 'MODEL_EXISTS'
  /** Another live process is writing to the same target (its lock file names the pid). */
  | 'TARGET_LOCKED'
  /** A checkpoint's dataset is not the one found now (other checksums): resuming would train on other data. */
  | 'DATASET_CHANGED'
  // limits on untrusted input, checked before anything large is allocated (values: limits.ts, READMEs)
  /** The path is a directory, FIFO, device (e.g. a link to /dev/zero) or socket: only regular files are read. */
  | 'NOT_A_REGULAR_FILE'
  /** A file is larger than its kind may be (an IDX file, a model.json, a Keras file, weights, an image). */
  | 'FILE_TOO_LARGE'
  /** gzip data or a zip member inflates past what its header declares, or past the ceiling for its kind. */
  | 'DECOMPRESSION_LIMIT'
  /** Declared dimensions (an IDX header, a layer config, a weight or HDF5 dataset) exceed the sane bounds. */
  | 'SHAPE_LIMIT'
  /** An image header declares more pixels than MAX_IMAGE_PIXELS; refused before decoding. */
  | 'IMAGE_TOO_LARGE'
  /** A download is larger than the file it should be (its known size); the transfer is stopped. */
  | 'DOWNLOAD_TOO_LARGE'
  // no silent wrong answers
  /** a stored weight (tfjs weights.bin or a Keras dataset) holds NaN or +-Infinity; the message names the tensor */
  | 'MODEL_WEIGHTS_NOT_FINITE'
  /** the model's input (pixels per image) or output (classes) does not fit the data it is given */
  | 'MODEL_SHAPE_MISMATCH'
  /** the model computed NaN or +-Infinity for an input, so no class can be named (e.g. a model built in code) */
  | 'PREDICTION_NOT_FINITE'
  /** IDX images with no pixels (0 rows or columns), or train and test images of different sizes */
  | 'IDX_BAD_IMAGE_SIZE';

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
