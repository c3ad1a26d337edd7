import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The tests run the built dist/cli.js: the global setup builds it (and the libraries) when stale.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['../../scripts/vitest-build-setup.mjs'] } }));
