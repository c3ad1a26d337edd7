import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the "@digits/source" export condition),
// so tests never run against a stale dist/.
const conditions = ['@digits/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
