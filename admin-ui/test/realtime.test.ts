// @vitest-environment node
/**
 * The realtime module against a real WebSocket server (the `ws` package) on 127.0.0.1: events
 * arrive, a dropped connection is retried with backoff until it succeeds, every successful
 * (re)connect resyncs over REST, and REST polling covers the time without a connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  parseEvents,
  RealtimeConnection,
  type ConnectionStatus,
} from '../src/realtime/connection';
import type { WardenEvent } from '../src/api/types';
import { FakeApi, TEST_TOKEN, wsSocket } from './support/fake-api';

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let api: FakeApi | undefined;
let connection: RealtimeConnection | undefined;

afterEach(async () => {
  connection?.stop();
  await api?.stop();
  api = undefined;
  connection = undefined;
});

function connect(server: FakeApi, overrides: { pollIntervalMs?: number } = {}) {
  const events: WardenEvent[] = [];
  const statuses: ConnectionStatus[] = [];
  let resyncs = 0;
  const conn = new RealtimeConnection({
    url: () => `${server.webSocketUrl}?token=${TEST_TOKEN}`,
    createSocket: wsSocket,
    onEvent: (event) => events.push(event),
    resync: async () => {
      resyncs += 1;
    },
    onStatus: (status) => statuses.push(status),
    backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 },
    pollIntervalMs: overrides.pollIntervalMs ?? 60_000,
  });
  connection = conn;
  conn.start();
  return { conn, events, statuses, resyncs: () => resyncs };
}

describe('the realtime connection', () => {
  it('delivers events from the socket and resyncs once connected', async () => {
    api = await new FakeApi().start();
    const { conn, events, resyncs } = connect(api);
    await until(
      'the connection to go live',
      () => conn.state === 'live' && api!.sockets.size === 1,
    );
    expect(resyncs()).toBe(1);

    api.push({ type: 'workflow_unblacklisted', workflowId: 'echo', removedBy: 'admin' });
    api.sockets.forEach((s) => s.send('not json'));
    api.sockets.forEach((s) => s.send(JSON.stringify({ type: 'something_new', at: 'x' })));
    api.push({ type: 'queue_changed', change: 'queued', executionId: 'e1', workflowId: 'echo' });
    await until('two events', () => events.length === 2);
    expect(events.map((e) => e.type)).toEqual(['workflow_unblacklisted', 'queue_changed']);
  });

  it('reconnects after the server drops it, and resyncs after every reconnect', async () => {
    api = await new FakeApi().start();
    const { conn, statuses, resyncs } = connect(api);
    await until('first connection', () => conn.state === 'live' && api!.sockets.size === 1);

    for (let round = 2; round <= 3; round += 1) {
      api.dropSockets();
      await until(
        `reconnect #${round - 1}`,
        () => conn.state === 'live' && api!.sockets.size === 1 && resyncs() >= round * 2 - 1,
      );
    }
    // Each drop: one resync as polling starts, one after the reconnect.
    expect(resyncs()).toBe(5);
    expect(statuses.some((s) => s.state === 'reconnecting' && s.attempt === 1 && s.retryAt)).toBe(
      true,
    );
    expect(statuses.at(-1)).toEqual({ state: 'live', attempt: 0 });
  });

  it('keeps retrying with growing delays while the gateway refuses, polling meanwhile, then recovers', async () => {
    api = await new FakeApi().start();
    api.refuseSockets = true;
    const { conn, statuses, resyncs } = connect(api, { pollIntervalMs: 150 });

    await until(
      'four failed attempts',
      () => statuses.filter((s) => s.state === 'reconnecting' && s.retryAt).length >= 4,
    );
    const attempts = statuses.filter((s) => s.retryAt).map((s) => s.attempt);
    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    // Polling over REST kept the page fresh while there was no socket.
    await until('polling resyncs', () => resyncs() >= 3);

    api.refuseSockets = false;
    await until('recovery', () => conn.state === 'live', 5_000);
    const before = resyncs();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Live again: polling has stopped.
    expect(resyncs()).toBe(before);
  });

  it('stays idle without a token and stops cleanly', async () => {
    api = await new FakeApi().start();
    const conn = new RealtimeConnection({
      url: () => undefined,
      createSocket: wsSocket,
      onEvent: () => undefined,
      resync: async () => undefined,
    });
    connection = conn;
    conn.start();
    expect(conn.state).toBe('idle');
    conn.stop();
    expect(conn.state).toBe('stopped');
    expect(api.sockets.size).toBe(0);
  });

  it('runs one resync at a time and one more if asked meanwhile', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const conn = new RealtimeConnection({
      url: () => undefined,
      onEvent: () => undefined,
      resync: async () => {
        running += 1;
        runs += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
      },
    });
    conn.start();
    await Promise.all([conn.resync(), conn.resync(), conn.resync()]);
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
    conn.stop();
  });
});

describe('backoff and parsing', () => {
  it('doubles from the initial delay up to the cap, minus up to the jitter share', () => {
    const options = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, options, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffDelay(3, options, () => 1)).toBe(3200);
  });

  it('accepts only known event types, one per frame or several in order', () => {
    expect(parseEvents(JSON.stringify({ type: 'execution_stuck', at: 'x' }))).toMatchObject([
      { type: 'execution_stuck' },
    ]);
    expect(
      parseEvents(
        JSON.stringify([
          { type: 'execution_started', executionId: 'e1' },
          { type: 'pong' },
          { type: 'execution_finished', executionId: 'e1' },
        ]),
      ).map((event) => event.type),
    ).toEqual(['execution_started', 'execution_finished']);
    expect(parseEvents(JSON.stringify({ type: 'pong' }))).toEqual([]);
    expect(parseEvents('{')).toEqual([]);
    expect(parseEvents(42)).toEqual([]);
  });
});
