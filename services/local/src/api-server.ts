/** Serves the admin API's Hono app on Node: the same app the Lambda runs behind API Gateway. */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { hostRefusal, loopbackHostAllowed } from './host-check.js';

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
  let port = 0;
  // Every request names this server in its Host header, or it is refused (DNS rebinding).
  const fetch = (request: Request, ...rest: unknown[]): Response | Promise<Response> => {
    // The raw header (the adapter fills the Request's in from its own address when it is empty).
    const incoming = (rest[0] as { incoming?: IncomingMessage } | undefined)?.incoming;
    const hostHeader = incoming
      ? incoming.headers.host
      : (request.headers.get('host') ?? undefined);
    if (!loopbackHostAllowed(hostHeader, port)) {
      return Response.json(
        { error: { code: 'MISDIRECTED', message: hostRefusal(hostHeader, port) } },
        { status: 421 },
      );
    }
    return (app.fetch as (request: Request, ...rest: unknown[]) => Response | Promise<Response>)(
      request,
      ...rest,
    );
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve(
      // Keep Node's own Request/Response: the server shares its process with other code.
      { fetch, hostname: host, port: options.port ?? 0, overrideGlobalObjects: false },
      () => resolve(started as Server),
    ) as Server;
    started.once('error', reject);
  });
  ({ port } = server.address() as AddressInfo);
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
