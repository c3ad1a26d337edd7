import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** How many images of each split the app serves (the whole test set, a 10k training subset). */
export const SERVED_COUNTS = { train: 10_000, test: 10_000 } as const;

/**
 * Emits MNIST as gzip'd IDX files under data/ (the browser gunzips them with DecompressionStream),
 * produced from @digits/mnist-data at build time: nothing third-party is fetched by the page, and
 * nothing big is committed. The dev server serves the same bytes.
 */
export function mnistAssets(): Plugin {
  let files: Promise<Map<string, Uint8Array>> | undefined;
  const build = () => (files ??= makeFiles());
  return {
    name: 'digits-mnist-assets',
    async generateBundle() {
      for (const [name, source] of await build()) this.emitFile({ type: 'asset', fileName: `data/${name}`, source });
    },
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const match = /\/data\/([\w.-]+\.gz)$/.exec(req.url?.split('?')[0] ?? '');
        const bytes = match ? (await build()).get(match[1]!) : undefined;
        if (!bytes) return next();
        res.setHeader('Content-Type', 'application/gzip');
        res.end(bytes);
      });
    },
  };
}

async function makeFiles(): Promise<Map<string, Uint8Array>> {
  // Imported here, not at the top: the config must load even where the library is not built yet.
  const { loadMnist, takeFirst, encodeIdx, IDX_FILE_NAMES } = await import('@digits/mnist-data/node');
  const mnist = await loadMnist({ dataset: 'mnist', source: 'embedded' });
  const train = takeFirst(mnist.train, SERVED_COUNTS.train);
  const test = takeFirst(mnist.test, SERVED_COUNTS.test);
  const idx = (split: typeof train) => ({
    images: encodeIdx({ dtype: 'uint8', dims: [split.count, split.rows, split.cols], data: split.images }),
    labels: encodeIdx({ dtype: 'uint8', dims: [split.count], data: split.labels }),
  });
  const t = idx(train);
  const v = idx(test);
  const gz = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes, { level: 9 }));
  return new Map([
    [`${IDX_FILE_NAMES.trainImages}.gz`, gz(t.images)],
    [`${IDX_FILE_NAMES.trainLabels}.gz`, gz(t.labels)],
    [`${IDX_FILE_NAMES.testImages}.gz`, gz(v.images)],
    [`${IDX_FILE_NAMES.testLabels}.gz`, gz(v.labels)],
  ]);
}
