/** Serves the admin API's Hono app on Node: the same app the Lambda runs behind API Gateway. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ApiServer {
  /** Base URL; routes live under /api. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startApiServer(
  app: Pick<Hono, 'fetch'>,
  options: { host?: string; port?: number } = {},
): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve(
      // Keep Node's own Request/Response: the server shares its process with other code.
      { fetch: app.fetch, hostname: host, port: options.port ?? 0, overrideGlobalObjects: false },
      () => resolve(started as Server),
    ) as Server;
    started.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
