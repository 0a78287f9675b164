/**
 * The embedded AWS emulators: dynalite (DynamoDB) and fauxqs (SQS), in this process, on
 * 127.0.0.1. Both speak the real wire protocols, so the AWS SDK talks to them unchanged.
 */
import type { AddressInfo } from 'node:net';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';

export interface EmulatorOptions {
  /** Ports to listen on; 0 picks a free one. */
  dynamoPort?: number;
  sqsPort?: number;
  /** Keep DynamoDB data in this directory across restarts (in memory when unset). */
  dataDir?: string;
}

export interface Emulator {
  readonly url: string;
  readonly port: number;
  /** Requests being served right now (known where the emulator runs on a node:http server). */
  readonly serving?: number;
  stop(): Promise<void>;
}

export interface Emulators {
  dynamodb: Emulator;
  sqs: Emulator;
  stop(): Promise<void>;
}

export async function startDynamo(port = 0, dataDir?: string): Promise<Emulator> {
  // createTableMs etc. at 0: tables become ACTIVE at once, as nobody waits on real provisioning.
  const server: Server = dynalite({
    path: dataDir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  return listenOnLoopback(server, port);
}

export async function startSqs(port = 0): Promise<Emulator> {
  const app = buildApp({ logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  const actual = (app.server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${actual}`, port: actual, stop: () => app.close() };
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const dynamodb = await startDynamo(options.dynamoPort, options.dataDir);
  const sqs = await startSqs(options.sqsPort);
  return {
    dynamodb,
    sqs,
    async stop() {
      await Promise.all([dynamodb.stop(), sqs.stop()]);
    },
  };
}

/**
 * One endpoint for both emulators, as LocalStack offers: requests are routed by their protocol
 * (DynamoDB's `X-Amz-Target: DynamoDB_20120810.*`; everything else is SQS). This lets a single
 * `AWS_ENDPOINT_URL` serve the whole SDK.
 */
export async function startCombinedEndpoint(
  targets: { dynamodb: Emulator; sqs: Emulator },
  port = 0,
): Promise<Emulator> {
  const server = createServer((request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const upstream = target.startsWith('DynamoDB') ? targets.dynamodb : targets.sqs;
    const proxied = httpRequest(
      {
        host: '127.0.0.1',
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    proxied.on('error', (error) => {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `emulator unreachable: ${error.message}` }));
    });
    request.pipe(proxied);
  });
  return listenOnLoopback(server, port);
}

/** How long a stop waits for requests already being served before it cuts them. */
const STOP_DRAIN_MS = 2000;

/**
 * Listens on 127.0.0.1 and returns an Emulator whose stop lets the requests already being served
 * finish, then cuts open keep-alive sockets. Cutting first would leave dynalite working on a
 * request after its store has closed ("Database is not open", thrown where no one catches it).
 */
async function listenOnLoopback(server: Server, port: number): Promise<Emulator> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  let serving = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_request, response: ServerResponse) => {
    serving += 1;
    response.once('close', () => {
      serving -= 1;
      if (serving === 0) drained?.();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    get serving() {
      return serving;
    },
    async stop() {
      if (serving > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, STOP_DRAIN_MS).unref();
        });
      }
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
