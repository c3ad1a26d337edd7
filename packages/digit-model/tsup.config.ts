import { defineConfig } from 'tsup';

export default defineConfig({
  // '.' and './engine' (package.json exports)
  entry: { index: 'src/index.ts', engine: 'src/engine/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Shared chunks in CJS too (tsup splits only ESM by default): the two entries must share one copy
  // of the module state (the registered trainers and predictors, the built-in engine runtime).
  splitting: true,
  // import.meta.url in the CJS build (finding tfjs-backend-wasm's .wasm files in Node)
  shims: true,
});
