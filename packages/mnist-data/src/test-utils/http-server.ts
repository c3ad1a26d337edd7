import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A body with headers of its own (e.g. content-encoding, or a content-length that lies). */
export interface ServedReply {
  body: Uint8Array;
  headers: Record<string, string | number>;
}

/** A local HTTP server on 127.0.0.1 serving fixed bodies by path; anything else is 404. */
export async function serveFiles(files: Map<string, Uint8Array | ServedReply>): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const reply = files.get(path);
    if (reply === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    const { body, headers } = reply instanceof Uint8Array ? { body: reply, headers: {} } : reply;
    response.on('error', () => undefined); // a client that stops reading early is what some tests want
    response.writeHead(200, { 'content-length': body.length, ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
