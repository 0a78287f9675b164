/**
 * Starts the control plane (admin API on Node, local WebSocket gateway) against a TestStack,
 * exactly as `npm start` does, with helpers to call the API and listen on the WebSocket.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { ApiErrorBody, WardenEvent, WorkerRecord } from '@warden/core';
import { createLogger, decodeEventFrame } from '@warden/core';
import type { DepsOverrides } from '@warden/functions';
import { runControlPlane, type RunningControlPlane } from '@warden/local/control-plane';
import type { TestStack } from './stack.js';
import { waitFor } from './wait.js';

export interface TestControlPlane extends RunningControlPlane {
  /** A valid token without the admin role (403 everywhere). */
  nonAdminToken: string;
  /** Environment for workers spawned against this control plane (they publish events to it). */
  workerEnv: Record<string, string>;
  /** EMF lines the sweeps wrote. */
  metricLines: string[];
  /** Calls the API with the admin token unless `token` says otherwise (null: no header). */
  api<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Opens a WebSocket with the admin token unless `token` says otherwise (null: none). */
  listen(token?: string | null): Promise<EventListener>;
}

export interface ApiResponse<T> {
  status: number;
  body: T & Partial<ApiErrorBody>;
  headers: Headers;
}

export interface ReceivedEvent {
  event: WardenEvent;
  receivedAt: number;
}

export interface EventListener {
  socket: WebSocket;
  events: ReceivedEvent[];
  /** Resolves with the first event (already received or coming) that matches. */
  next<T extends WardenEvent['type']>(
    type: T,
    match?: (event: Extract<WardenEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<WardenEvent, { type: T }> & { receivedAt: number }>;
  /** Sends a frame and resolves with the next non-event reply (pong, error). */
  request(frame: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export async function startControlPlane(
  stack: TestStack,
  options: {
    env?: Record<string, string>;
    overrides?: DepsOverrides;
    schedule?: boolean;
  } = {},
): Promise<TestControlPlane> {
  const nonAdminToken = `non-admin-${randomBytes(12).toString('hex')}`;
  const metricLines: string[] = [];
  const running = await runControlPlane({
    env: {
      ...process.env,
      ...stack.env,
      WARDEN_NON_ADMIN_TOKEN: nonAdminToken,
      WARDEN_CORS_ORIGIN: 'http://admin.test',
      ...options.env,
    },
    adminToken: `admin-${randomBytes(16).toString('hex')}`,
    logger: createLogger('control-plane-test', 'silent'),
    schedule: options.schedule ?? false,
    metrics: (line) => metricLines.push(line),
    overrides: options.overrides,
  });
  const sockets = new Set<EventListener>();

  const api: TestControlPlane['api'] = async (method, path, opts = {}) => {
    const token = opts.token === undefined ? running.adminToken : opts.token;
    const headers: Record<string, string> = { ...opts.headers };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const response = await fetch(`${running.apiUrl}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : {}) as never,
      headers: response.headers,
    };
  };

  const listen: TestControlPlane['listen'] = async (token) => {
    const value = token === undefined ? running.adminToken : token;
    const url =
      value === null
        ? running.webSocketUrl
        : `${running.webSocketUrl}?token=${encodeURIComponent(value)}`;
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`WebSocket refused: HTTP ${response.statusCode}`)),
      );
      socket.once('error', reject);
    });
    const events: ReceivedEvent[] = [];
    const replies: unknown[] = [];
    socket.on('message', (data: Buffer) => {
      const receivedAt = Date.now();
      for (const parsed of decodeEventFrame(data.toString()) as { type: string }[]) {
        if (parsed.type === 'pong' || parsed.type === 'error') replies.push(parsed);
        else events.push({ event: parsed as WardenEvent, receivedAt });
      }
    });
    const listener: EventListener = {
      socket,
      events,
      next: async (type, match, timeoutMs = 15_000) => {
        const found = await waitFor(
          `a ${type} event`,
          () =>
            events.find(({ event }) => event.type === type && (!match || match(event as never))),
          { timeoutMs, intervalMs: 10 },
        );
        return { ...found.event, receivedAt: found.receivedAt } as never;
      },
      async request(frame) {
        const before = replies.length;
        socket.send(JSON.stringify(frame));
        return waitFor('a reply', () => replies[before], { timeoutMs: 5000, intervalMs: 10 });
      },
      close: () =>
        new Promise<void>((resolve) => {
          sockets.delete(listener);
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close();
        }),
    };
    sockets.add(listener);
    return listener;
  };

  return {
    ...running,
    nonAdminToken,
    metricLines,
    workerEnv: { ...stack.env, WARDEN_EVENTS_ENDPOINT: running.eventsEndpoint },
    api,
    listen,
    async stop() {
      await Promise.all([...sockets].map((socket) => socket.close()));
      await running.stop();
    },
  };
}

/** A registered worker as the real worker writes it, for tests that only need the record. */
export function workerRecord(
  workerId: string,
  overrides: Partial<WorkerRecord> = {},
): Omit<WorkerRecord, 'expiresAt'> {
  const now = new Date().toISOString();
  return {
    workerId,
    mode: 'thread',
    version: 'test',
    hostname: 'test-host',
    mainPid: 999_999,
    startedAt: now,
    lastHeartbeatAt: now,
    status: 'ONLINE',
    capacity: 4,
    processes: [
      {
        pid: 4242,
        generation: 3,
        state: 'ACTIVE',
        stateSince: now,
        startedAt: now,
        memoryMb: 80,
        memoryKind: 'rss',
        jobsProcessed: 7,
        executions: [],
      },
    ],
    workflows: [
      { id: 'echo', name: 'Echo', timeoutSeconds: 30 },
      { id: 'cpu-spin', name: 'CPU spin', timeoutSeconds: 10 },
    ],
    ...overrides,
  };
}
