import { defineConfig } from 'vite';
import { mnistAssets } from './plugins/mnist-assets.ts';
import { serviceWorker } from './plugins/service-worker.ts';

export default defineConfig({
  // Relative URLs everywhere: dist/ works from any static host and any sub-path.
  base: './',
  resolve: { conditions: ['@digits/source'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 5000 },
  plugins: [mnistAssets(), serviceWorker()],
});
