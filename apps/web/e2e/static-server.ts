import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
};

export interface StaticServerOptions {
  /** Extra headers on every response (e.g. the cross-origin isolation ones). */
  headers?: Record<string, string>;
  /**
   * Serve `.gz` files as `Content-Encoding: gzip` of an octet stream, as vite preview and many
   * hosts do (the browser inflates them); by default they go out as `application/gzip` bytes.
   */
  gzipEncoding?: boolean;
}

export interface StaticServer {
  url: string;
  /** Responses sent per path (below the prefix), to check that nothing crosses the wire twice. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A plain static host for dist/, mounted under a sub-path like a project page would be: no ETag, no
 * Last-Modified, no Cache-Control (the hardest case for not downloading a file twice).
 */
export async function serveStatic(root: string, prefix: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const requests = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.set(path.slice(prefix.length), (requests.get(path.slice(prefix.length)) ?? 0) + 1);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    let file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const info = await stat(file);
      const gz = options.gzipEncoding && file.endsWith('.gz');
      res.writeHead(200, {
        ...options.headers,
        'Content-Type': gz ? 'application/octet-stream' : (TYPES[extname(file)] ?? 'application/octet-stream'),
        ...(gz ? { 'Content-Encoding': 'gzip' } : {}),
        'Content-Length': info.size,
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
