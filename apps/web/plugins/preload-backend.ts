import type { Plugin } from 'vite';

/**
 * Adds preloads for what the first prediction waits on after the entry chunk has run: the chunk
 * with tfjs's wasm backend (a dynamic import in @digits/model) and its SIMD .wasm binary (fetched by
 * that backend). Without them the browser discovers both one after the other, after the entry
 * chunk; with them they download beside it.
 */
export function preloadBackend(): Plugin {
  return {
    name: 'digits-preload-backend',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const bundle = ctx.bundle ?? {};
        const outputs = Object.values(bundle);
        const chunk = outputs.find((o) => o.type === 'chunk' && o.moduleIds.some((id) => /tfjs-backend-wasm\/dist\/index\.js$/.test(id)));
        const wasm = outputs.find((o) => o.type === 'asset' && /tfjs-backend-wasm-simd-.*\.wasm$/.test(o.fileName));
        if (!chunk || !wasm) throw new Error('preload-backend: the wasm backend chunk or its SIMD binary is missing from the bundle');
        return [
          { tag: 'link', attrs: { rel: 'modulepreload', href: `./${chunk.fileName}`, crossorigin: '' }, injectTo: 'head' },
          { tag: 'link', attrs: { rel: 'preload', href: `./${wasm.fileName}`, as: 'fetch', crossorigin: 'anonymous' }, injectTo: 'head' },
        ];
      },
    },
  };
}
