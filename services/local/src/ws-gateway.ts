/**
 * A local stand-in for API Gateway's WebSocket API, close enough that the handlers and the event
 * publisher run unchanged:
 *  - a client connects to `ws://host:port/<stage>?token=...`; the gateway assigns a connection id,
 *    runs the `$connect` authorizer (throwing "Unauthorized" → HTTP 401, a Deny policy → 403)
 *    and the `$connect` handler before completing the handshake, as API Gateway does;
 *  - each message goes to the `$default` handler, whose response body (if any) is sent back;
 *  - a closed socket invokes `$disconnect`;
 *  - the management API, `POST | GET | DELETE /<stage>/@connections/{id}`, is what
 *    `@aws-sdk/client-apigatewaymanagementapi` calls: POST sends the body to the client, GET
 *    describes the connection, DELETE closes it; an unknown id answers 410 GoneException.
 * Unlike API Gateway, the management API is not IAM-signed: the gateway listens on loopback only.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { hostRefusal, loopbackHostAllowed } from './host-check.js';
import type { Logger } from '@warden/core';
import {
  UNAUTHORIZED,
  type ConnectAuthorizerEvent,
  type WebSocketEvent,
  type WebSocketHandlers,
  type WebSocketRequestContext,
} from '@warden/functions';

/** API Gateway's limits: 128 KB per message, frames of 32 KB. */
const MAX_MESSAGE_BYTES = 128 * 1024;
/** Dead peers (no pong to a ping) are dropped after this long. */
const KEEPALIVE_MS = 30_000;

interface Connection {
  id: string;
  socket?: WebSocket;
  /** Posts that arrive while `$connect` is still running are delivered once it completes. */
  pending: Buffer[];
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  alive: boolean;
}

export interface LocalGatewayOptions {
  logger: Logger;
  host?: string;
  port?: number;
  /** Path segment of the URLs, like an API Gateway stage. */
  stage?: string;
  /**
   * Required as the first path segment of every management call (generated when absent). It is
   * part of callbackUrl, so publishers get it with WARDEN_EVENTS_ENDPOINT; runners never see it.
   */
  managementSecret?: string;
}

export interface LocalGateway {
  /** Where clients connect: `ws://127.0.0.1:<port>/<stage>`. */
  readonly url: string;
  /**
   * The management endpoint, for WARDEN_EVENTS_ENDPOINT:
   * `http://127.0.0.1:<port>/<secret>/<stage>`. Treat it as a secret.
   */
  readonly callbackUrl: string;
  /** The same with the secret elided, for banners and logs. */
  readonly callbackUrlForDisplay: string;
  /** Connects the Lambda handlers; until then connections are refused with 503. */
  setHandlers(handlers: WebSocketHandlers): void;
  openConnections(): string[];
  stop(): Promise<void>;
}

/** Constant-time comparison, so the secret cannot be guessed byte by byte from timings. */
function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

const newConnectionId = (): string => randomBytes(10).toString('base64url');

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const statusText = (status: number): string =>
  ({
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  })[status] ?? 'Error';

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body?: unknown, errorType?: string) {
  const headers: Record<string, string> = {};
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  if (body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    })
    .end(text);
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const { logger } = options;
  const stage = options.stage ?? 'local';
  const host = options.host ?? '127.0.0.1';
  const secret = options.managementSecret ?? randomBytes(24).toString('base64url');
  let port = 0;
  const connections = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let handlers: WebSocketHandlers | undefined;
  let domainName = '';
  /** $disconnect calls in flight, awaited on stop so none runs against a closed backend. */
  const disconnecting = new Set<Promise<void>>();

  const context = (
    connection: Connection,
    routeKey: string,
    eventType: WebSocketRequestContext['eventType'],
  ): WebSocketRequestContext => ({
    routeKey,
    eventType,
    connectionId: connection.id,
    domainName,
    stage,
    requestId: randomBytes(8).toString('hex'),
    connectedAt: connection.connectedAt,
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
  });

  const deliver = (connection: Connection, data: Buffer): void => {
    connection.socket?.send(data, { binary: false });
  };

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!loopbackHostAllowed(request.headers.host, port)) {
      refuseUpgrade(socket, 421, hostRefusal(request.headers.host, port));
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname.replace(/\/$/, '') !== `/${stage}`) {
      refuseUpgrade(socket, 404, `Connect to /${stage}`);
      return;
    }
    if (!handlers) {
      refuseUpgrade(socket, 503, 'The gateway is starting');
      return;
    }
    const query = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
    );
    const connection: Connection = {
      id: newConnectionId(),
      pending: [],
      connectedAt: Date.now(),
      lastActiveAt: Date.now(),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: request.headers['user-agent'] ?? '',
      alive: true,
    };
    const authorizerEvent: ConnectAuthorizerEvent = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:local:000000000000:local/${stage}/$connect`,
      headers,
      queryStringParameters: query,
      requestContext: context(connection, '$connect', 'CONNECT'),
    };
    let authorizer: { principalId: string; [key: string]: unknown };
    try {
      const result = await handlers.authorize(authorizerEvent);
      if (result.policyDocument.Statement.some((s) => s.Effect !== 'Allow')) {
        refuseUpgrade(socket, 403, 'Forbidden');
        return;
      }
      authorizer = { principalId: result.principalId, ...result.context };
    } catch (error) {
      if (error instanceof Error && error.message === UNAUTHORIZED) {
        refuseUpgrade(socket, 401, 'Unauthorized');
      } else {
        logger.error({ err: error }, 'the $connect authorizer failed');
        refuseUpgrade(socket, 500, 'Internal server error');
      }
      return;
    }

    // Registered before $connect runs, as in API Gateway the id exists from the start.
    connections.set(connection.id, connection);
    const connectEvent: WebSocketEvent = {
      requestContext: { ...context(connection, '$connect', 'CONNECT'), authorizer },
      headers,
      queryStringParameters: query,
      isBase64Encoded: false,
    };
    try {
      const result = await handlers.connect(connectEvent);
      if (result.statusCode < 200 || result.statusCode > 299) {
        connections.delete(connection.id);
        refuseUpgrade(socket, result.statusCode, 'Connection refused');
        return;
      }
    } catch (error) {
      connections.delete(connection.id);
      logger.error({ err: error }, 'the $connect handler failed');
      refuseUpgrade(socket, 500, 'Internal server error');
      return;
    }
    if (socket.destroyed) {
      // The client gave up during $connect: tell the handlers it is gone.
      connections.delete(connection.id);
      await disconnect(connection);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      connection.socket = ws;
      for (const data of connection.pending.splice(0)) deliver(connection, data);
      ws.on('pong', () => {
        connection.alive = true;
      });
      ws.on('message', (data: Buffer, isBinary) => {
        connection.lastActiveAt = Date.now();
        void handlers
          ?.message({
            requestContext: context(connection, '$default', 'MESSAGE'),
            body: isBinary ? data.toString('base64') : data.toString('utf8'),
            isBase64Encoded: isBinary,
          })
          .then((result) => {
            if (result.body !== undefined && ws.readyState === WebSocket.OPEN) ws.send(result.body);
          })
          .catch((error: unknown) => logger.error({ err: error }, 'the $default handler failed'));
      });
      ws.on('close', () => {
        connections.delete(connection.id);
        const done = disconnect(connection).finally(() => disconnecting.delete(done));
        disconnecting.add(done);
      });
    });
  }

  async function disconnect(connection: Connection): Promise<void> {
    try {
      await handlers?.disconnect({
        requestContext: context(connection, '$disconnect', 'DISCONNECT'),
        isBase64Encoded: false,
      });
    } catch (error) {
      logger.error({ err: error, connectionId: connection.id }, 'the $disconnect handler failed');
    }
  }

  async function manage(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!loopbackHostAllowed(request.headers.host, port)) {
      sendJson(response, 421, { message: hostRefusal(request.headers.host, port) });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    // Only the stack's own publishers know the secret (it is in their WARDEN_EVENTS_ENDPOINT).
    const [given = '', ...rest] = url.pathname.slice(1).split('/');
    if (!sameSecret(given, secret)) {
      sendJson(response, 403, {
        message:
          "Forbidden: the management API needs the local stack's secret, which WARDEN_EVENTS_ENDPOINT carries",
      });
      return;
    }
    const match = new RegExp(`^/${stage}/@connections/([^/]+)$`).exec(`/${rest.join('/')}`);
    if (!match?.[1]) {
      sendJson(response, 404, {
        message: `Not found: the management API is /${stage}/@connections/{id}`,
      });
      return;
    }
    const connectionId = decodeURIComponent(match[1]);
    const connection = connections.get(connectionId);
    if (!connection) {
      await readBody(request, MAX_MESSAGE_BYTES);
      sendJson(response, 410, { message: `Connection ${connectionId} is gone` }, 'GoneException');
      return;
    }
    switch (request.method) {
      case 'POST': {
        const data = await readBody(request, MAX_MESSAGE_BYTES);
        if (!data) {
          sendJson(
            response,
            413,
            { message: 'Payload too large (128 KB)' },
            'PayloadTooLargeException',
          );
          return;
        }
        if (connection.socket) deliver(connection, data);
        else connection.pending.push(data);
        sendJson(response, 200);
        return;
      }
      case 'GET':
        // The wire names of API Gateway's GetConnection response (the SDK maps them).
        sendJson(response, 200, {
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        });
        return;
      case 'DELETE':
        connection.socket?.close(1000, 'Closed by the server');
        sendJson(response, 204);
        return;
      default:
        sendJson(response, 405, { message: 'Use POST, GET or DELETE' });
    }
  }

  const server = createServer((request, response) => {
    manage(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'management API request failed');
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal error' });
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgrade(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, 'WebSocket upgrade failed');
      if (!socket.destroyed) refuseUpgrade(socket, 500, 'Internal server error');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  ({ port } = server.address() as AddressInfo);
  domainName = `${host}:${port}`;

  const keepalive = setInterval(() => {
    for (const connection of connections.values()) {
      if (!connection.socket) continue;
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    url: `ws://${host}:${port}/${stage}`,
    callbackUrl: `http://${host}:${port}/${secret}/${stage}`,
    callbackUrlForDisplay: `http://${host}:${port}/<secret>/${stage}`,
    setHandlers(value) {
      handlers = value;
    },
    openConnections: () => [...connections.keys()],
    async stop() {
      clearInterval(keepalive);
      const closing = [...connections.values()].map(
        (connection) =>
          new Promise<void>((resolve) => {
            if (!connection.socket || connection.socket.readyState === WebSocket.CLOSED) {
              resolve();
              return;
            }
            connection.socket.once('close', () => resolve());
            connection.socket.close(1001, 'The local stack is stopping');
            setTimeout(() => {
              connection.socket?.terminate();
              resolve();
            }, 1000).unref();
          }),
      );
      await Promise.all(closing);
      await Promise.all([...disconnecting]);
      wss.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
