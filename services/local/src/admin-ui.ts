/**
 * Serves the built admin app (admin-ui/dist) on 127.0.0.1 for `npm start`: static files with a
 * fallback to index.html for the app's own routes, and a runtime /config.json naming the local
 * API and WebSocket URLs. The port is fixed (WARDEN_ADMIN_PORT, default 5173) because the API's
 * CORS rule names the app's origin before the app is listening.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvReader, envParsers } from '@warden/core';
import type { Component, LocalContext } from './component.js';
import { hostRefusal, loopbackHostAllowed } from './host-check.js';

export const DEFAULT_ADMIN_PORT = 5173;
const HOST = '127.0.0.1';

/** Where `npm run build -w admin-ui` writes the app. */
export const ADMIN_DIST = fileURLToPath(new URL('../../../admin-ui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Fixed before start-up (0 is refused): the API's CORS rule names the app's origin. */
export function adminUiPort(env: Record<string, string | undefined> = process.env): number {
  const reader = new EnvReader(env);
  const value = reader.get('WARDEN_ADMIN_PORT', envParsers.integer(1, 65535), DEFAULT_ADMIN_PORT);
  reader.done();
  return value;
}

/** The origin the admin app is served from, which the API must allow. */
export function adminUiOrigin(env: Record<string, string | undefined> = process.env): string {
  return `http://${HOST}:${adminUiPort(env)}`;
}

export interface AdminUiRuntimeConfig {
  apiUrl?: string;
  webSocketUrl?: string;
  auth: { mode: 'token' };
}

export interface AdminUiServer {
  readonly url: string;
  stop(): Promise<void>;
}

function securityHeaders(runtime: AdminUiRuntimeConfig): Record<string, string> {
  const connect = ["'self'", runtime.apiUrl, runtime.webSocketUrl].filter(Boolean).join(' ');
  return {
    // PrimeVue writes its theme into <style> elements at run time, hence 'unsafe-inline' styles.
    'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src ${connect}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

async function fileAt(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const path = resolve(root, `.${decoded}`);
  // Never outside the app's folder, whatever the URL says.
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the static server; `root` must hold index.html. */
export async function serveAdminUi(options: {
  root: string;
  port: number;
  runtime: AdminUiRuntimeConfig;
}): Promise<AdminUiServer> {
  const root = resolve(options.root);
  const headers = securityHeaders(options.runtime);
  const configBody = JSON.stringify(options.runtime);

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...headers,
      'content-type': type,
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Only GET and HEAD are served here.\n', {
        allow: 'GET, HEAD',
      });
      return;
    }
    const { pathname } = new URL(req.url ?? '/', 'http://local');
    if (pathname === '/config.json') {
      send(res, 200, 'application/json; charset=utf-8', req.method === 'HEAD' ? '' : configBody);
      return;
    }
    let file = pathname === '/' ? undefined : await fileAt(root, pathname);
    if (!file) {
      // A path with an extension names a file that does not exist; anything else is a route of
      // the app itself (/workers, /executions/abc), which index.html handles.
      if (extname(pathname) && !pathname.endsWith('.html')) {
        send(res, 404, 'text/plain; charset=utf-8', `Not found: ${pathname}\n`);
        return;
      }
      file = resolve(root, 'index.html');
    }
    const ext = extname(file);
    // Vite puts a content hash in every asset name, so assets never change under one name.
    const cache = pathname.startsWith('/assets/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache';
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': cache,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  let port = 0;
  const server: Server = createServer((req, res) => {
    if (!loopbackHostAllowed(req.headers.host, port)) {
      send(res, 421, 'text/plain; charset=utf-8', `${hostRefusal(req.headers.host, port)}\n`);
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => resolvePromise());
  });
  ({ port } = server.address() as AddressInfo);
  return {
    url: `http://${HOST}:${port}`,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** `npm start`'s admin app, pointed at the control plane that started before it. */
export async function startAdminUi(context: LocalContext): Promise<Component | undefined> {
  const port = adminUiPort(process.env);
  try {
    await stat(resolve(ADMIN_DIST, 'index.html'));
  } catch {
    return {
      name: 'admin-ui',
      banner: [
        `  Admin UI   not built: run \`npm run build -w admin-ui\` (npm start and npm run build do it), then restart`,
      ],
      stop: async () => undefined,
    };
  }
  const runtime: AdminUiRuntimeConfig = {
    apiUrl: context.outputs.ApiUrl,
    webSocketUrl: context.outputs.WebSocketUrl,
    auth: { mode: 'token' },
  };
  let server: AdminUiServer;
  try {
    server = await serveAdminUi({ root: ADMIN_DIST, port, runtime });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      context.logger.warn({ port }, 'the admin app port is in use; the admin app is not served');
      return {
        name: 'admin-ui',
        banner: [
          `  Admin UI   not started: port ${port} is in use (a dev server?). Set WARDEN_ADMIN_PORT to a free port`,
        ],
        stop: async () => undefined,
      };
    }
    throw error;
  }
  const corsOrigin = process.env.WARDEN_CORS_ORIGIN ?? context.env.WARDEN_CORS_ORIGIN;
  const banner = [`  Admin UI   ${server.url}  (sign in with the token above)`];
  if (corsOrigin && corsOrigin !== server.url) {
    banner.push(
      `             note: the API allows ${corsOrigin} only (WARDEN_CORS_ORIGIN); the app at ${server.url} cannot call it`,
    );
  }
  if (!runtime.apiUrl)
    banner.push('             note: the admin API is not running, so the app has nothing to show');
  return {
    name: 'admin-ui',
    banner,
    outputs: { AdminUrl: server.url },
    stop: () => server.stop(),
  };
}
