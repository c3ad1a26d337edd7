import { datasetFromIdx, DigitsError, IDX_FILE_NAMES, MNIST_CLASS_NAMES, type Dataset, type IdxFiles } from '@digits/mnist-data';

let pending: Promise<Dataset> | null = null;

/**
 * The MNIST subsets served with the app (dist/data/*.gz, written at build time by
 * plugins/mnist-assets.ts: the 10k test images and 10k training images), fetched and parsed once.
 */
export function loadMnistAssets(base = new URL('./data/', document.baseURI)): Promise<Dataset> {
  pending ??= (async () => {
    const keys = Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles)[];
    const urls = keys.map((key) => new URL(`${IDX_FILE_NAMES[key]}.gz`, base));
    const bytes = await Promise.all(urls.map(fetchGzip));
    const files = Object.fromEntries(keys.map((key, i) => [key, bytes[i]!])) as unknown as IdxFiles;
    const names = Object.fromEntries(keys.map((key, i) => [key, urls[i]!.pathname])) as Record<keyof IdxFiles, string>;
    return datasetFromIdx('mnist', MNIST_CLASS_NAMES, files, names);
  })();
  pending.catch(() => (pending = null));
  return pending;
}

async function fetchGzip(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    throw new DigitsError('DATASET_FILE_MISSING', `could not be fetched (HTTP ${response.status}).`, { file: url.pathname });
  }
  const plain = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(plain).arrayBuffer());
}
