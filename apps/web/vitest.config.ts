import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// The browser tests share one page and one Chromium: run them in a single file, in order. They
// load the built site: the global setup builds it (and the libraries) when stale.
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
      fileParallelism: false,
      testTimeout: 120_000,
      globalSetup: ['../../scripts/vitest-build-setup.mjs'],
    },
  }),
);
