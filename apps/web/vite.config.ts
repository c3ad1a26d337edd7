import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  resolve: { conditions: ['@digits/source'] },
});
