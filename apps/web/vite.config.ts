import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { CROSS_ORIGIN_ISOLATION_HEADERS, isolationHeadersFile } from './plugins/isolation-headers.ts';
import { mnistAssets } from './plugins/mnist-assets.ts';
import { preloadBackend } from './plugins/preload-backend.ts';
import { serviceWorker } from './plugins/service-worker.ts';

export default defineConfig({
  // Relative URLs everywhere: dist/ works from any static host and any sub-path.
  base: './',
  resolve: {
    conditions: ['@digits/source'],
    // tfjs-core + tfjs-layers only; the backends the first prediction does not need load on demand.
    alias: [{ find: /^@tensorflow\/tfjs$/, replacement: fileURLToPath(new URL('./src/tfjs.ts', import.meta.url)) }],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 5000 },
  // Cross-origin isolation (SharedArrayBuffer): the digits engine trains on worker threads.
  server: { headers: CROSS_ORIGIN_ISOLATION_HEADERS },
  preview: { headers: CROSS_ORIGIN_ISOLATION_HEADERS },
  plugins: [mnistAssets(), preloadBackend(), isolationHeadersFile(), serviceWorker()],
});
