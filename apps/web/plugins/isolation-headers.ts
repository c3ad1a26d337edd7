import type { Plugin } from 'vite';

/**
 * The response headers that make the page cross-origin isolated (`crossOriginIsolated === true`,
 * SharedArrayBuffer available), so the digits engine can train on worker threads. The page loads
 * nothing from other origins, so `require-corp` costs nothing. Used by `vite dev` / `vite preview`,
 * written to dist/_headers (Netlify, Cloudflare Pages) and added by the service worker where a host
 * sends neither (GitHub Pages).
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/** Emits dist/_headers, the headers file Netlify and Cloudflare Pages read, with the headers above. */
export function isolationHeadersFile(): Plugin {
  return {
    name: 'digits-isolation-headers',
    apply: 'build',
    generateBundle() {
      const lines = Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS).map(([name, value]) => `  ${name}: ${value}`);
      this.emitFile({ type: 'asset', fileName: '_headers', source: ['/*', ...lines, ''].join('\n') });
    },
  };
}
