import { concatBytes, datasetFromIdx, DigitsError, IDX_FILE_NAMES, isGzip, MNIST_CLASS_NAMES, parseIdx, splitFromIdx, type Dataset, type IdxFiles, type Split } from '@digits/mnist-data';

let pending: Promise<Dataset> | null = null;
const files = new Map<keyof IdxFiles, Promise<Uint8Array>>();

/** The served files hold 10,000 images each (7.8 MB as IDX); anything far larger is not ours. */
const MAX_IDX_BYTES = 64 * 1024 * 1024;

/**
 * The MNIST subsets served with the app (dist/data/*.gz, written at build time by
 * plugins/mnist-assets.ts: the 10k test images and 10k training images), fetched and parsed once.
 */
export function loadMnistAssets(base = new URL('./data/', document.baseURI)): Promise<Dataset> {
  pending ??= (async () => {
    const keys = Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles)[];
    const bytes = await Promise.all(keys.map((key) => fileBytes(key, base)));
    const idx = Object.fromEntries(keys.map((key, i) => [key, bytes[i]!])) as unknown as IdxFiles;
    const names = Object.fromEntries(keys.map((key) => [key, fileUrl(key, base).pathname])) as Record<keyof IdxFiles, string>;
    return datasetFromIdx('mnist', MNIST_CLASS_NAMES, idx, names);
  })();
  pending.catch(() => (pending = null));
  return pending;
}

/** The 10,000 test images alone (what the test grid needs: half the bytes and work of the whole set). */
export async function loadTestSplit(base = new URL('./data/', document.baseURI)): Promise<Split> {
  const [images, labels] = await Promise.all([fileBytes('testImages', base), fileBytes('testLabels', base)]);
  const [imagesFile, labelsFile] = [fileUrl('testImages', base).pathname, fileUrl('testLabels', base).pathname];
  return splitFromIdx(parseIdx(images, imagesFile), parseIdx(labels, labelsFile), imagesFile, labelsFile);
}

const fileUrl = (key: keyof IdxFiles, base: URL) => new URL(`${IDX_FILE_NAMES[key]}.gz`, base);

/** Each file is fetched once (a failed fetch may be retried). */
function fileBytes(key: keyof IdxFiles, base: URL): Promise<Uint8Array> {
  let bytes = files.get(key);
  if (!bytes) {
    bytes = fetchIdx(fileUrl(key, base));
    bytes.catch(() => files.delete(key));
    files.set(key, bytes);
  }
  return bytes;
}

/**
 * Fetches one IDX file and gunzips it when its bytes are gzip (by the magic bytes, not the URL): a
 * server that sends `.gz` with `Content-Encoding: gzip` (vite preview does) has the browser inflate it
 * already, one that sends it as `application/gzip` does not.
 */
export async function fetchIdx(url: URL): Promise<Uint8Array> {
  const file = url.pathname;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new DigitsError('DATASET_FILE_MISSING', `could not be fetched (${(cause as Error).message}).`, { file, cause });
  }
  if (!response.ok) throw new DigitsError('DATASET_FILE_MISSING', `could not be fetched (HTTP ${response.status}).`, { file });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!isGzip(bytes)) return bytes;
  const plain = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of plain as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > MAX_IDX_BYTES) throw new DigitsError('DATASET_FILE_MISSING', `inflates to more than ${MAX_IDX_BYTES >> 20} MB: not one of the app's MNIST files.`, { file });
      chunks.push(chunk);
    }
  } catch (cause) {
    if (cause instanceof DigitsError) throw cause;
    throw new DigitsError('DATASET_FILE_MISSING', `is not valid gzip (${(cause as Error).message}).`, { file, cause });
  }
  return concatBytes(chunks, size);
}
