/**
 * A stand-in for the admin API and WebSocket gateway, on a real HTTP server and a real `ws`
 * server on 127.0.0.1, for component and view tests. It answers with canned bodies typed by the
 * API contract (core's api-types) so a test controls exactly what a view sees — slow answers,
 * errors, empty lists — and it pushes events over a real socket. The real API is exercised end
 * to end by the browser tests in test/e2e against the local stack.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket as WsClient } from 'ws';
import type { EventInput } from '@warden/core';
import type { SocketLike } from '../../src/realtime/connection';

export interface CannedResponse {
  status?: number;
  body?: unknown;
  /** Answer only after this long (to show loading states). */
  delayMs?: number;
}

type Handler = (request: RecordedRequest) => CannedResponse | Promise<CannedResponse>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export const TEST_TOKEN = 'test-admin-token-0123456789';

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private server!: Server;
  private wss!: WebSocketServer;
  readonly sockets = new Set<WsClient>();
  /** Every WebSocket handshake attempted, with the token it carried. */
  readonly upgrades: (string | null)[] = [];
  /** Refuse WebSocket upgrades (to simulate a gateway outage). */
  refuseSockets = false;
  port = 0;

  constructor() {
    // Who the test token is; a test answers otherwise to play a viewer.
    this.on('GET /api/me', { body: { id: 'local-admin', role: 'admin' } });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get webSocketUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Answers `METHOD /path` (query ignored) with a body, a canned response or a handler. */
  on(route: string, answer: CannedResponse | Handler): this {
    this.routes.set(route, typeof answer === 'function' ? answer : () => answer);
    return this;
  }

  requestsTo(route: string): RecordedRequest[] {
    return this.requests.filter((r) => `${r.method} ${r.path}` === route);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.upgrades.push(url.searchParams.get('token'));
      if (this.refuseSockets || url.searchParams.get('token') !== TEST_TOKEN) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Sends an event to every open socket, stamped now unless it carries `at`. */
  push(event: EventInput & { at?: string }): void {
    const frame = JSON.stringify({ at: new Date().toISOString(), ...event });
    for (const socket of this.sockets) socket.send(frame);
  }

  /** Drops every open socket abruptly, as a gateway restart would. */
  dropSockets(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    // Let requests in flight finish (the app under test may still be polling), then close.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const idle = setInterval(() => this.server.closeIdleConnections(), 20);
    await closed;
    clearInterval(idle);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The admin app is served from another origin than the API, as in every deployment.
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    res.setHeader('access-control-allow-headers', 'Authorization, Content-Type');
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    this.requests.push(request);
    let answer: CannedResponse;
    if (req.headers.authorization !== `Bearer ${TEST_TOKEN}`) {
      answer = {
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED', message: 'A valid admin token is required' } },
      };
    } else {
      const handler = this.routes.get(`${request.method} ${request.path}`);
      answer = handler
        ? await handler(request)
        : {
            status: 404,
            body: {
              error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.path}` },
            },
          };
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }
}

/** The `ws` package's client, shaped like the browser's WebSocket for the realtime module. */
export const wsSocket = (url: string): SocketLike => new WsClient(url) as unknown as SocketLike;
