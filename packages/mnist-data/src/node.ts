export * from './index';
export { readIdxFile, writeIdxFile, readFileBytes, gunzipIfNeeded, writeFileAtomic, parseAtomicTempName, type GunzipOptions } from './node/files';
export { readRegularFile, type ReadRegularFileOptions } from './node/regular-file';
export { fsErrorReason } from './node/fs-errors';
export { MNIST_SHA256, FASHION_MNIST_SHA256, sha256Hex, verifyFiles, type FileToVerify } from './node/checksums';
export { defaultCacheDir } from './node/cache-dir';
export { loadIdxDirectory, findIdxFiles, idxFileCandidates, type DirectoryOptions } from './node/directory';
export { embeddedMnistDir } from './node/embedded';
export {
  downloadDataset,
  MNIST_MIRRORS,
  FASHION_MNIST_MIRRORS,
  KNOWN_SHA256,
  type DownloadOptions,
  type KnownDataset,
} from './node/download';
export { loadMnist, SYSTEM_FASHION_MNIST_DIR, type LoadOptions, type DataSource } from './node/load';
