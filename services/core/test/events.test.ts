import { describe, expect, it } from 'vitest';
import {
  EventPublisher,
  MAX_EVENT_BYTES,
  MAX_FRAME_BYTES,
  MAX_PENDING_EVENTS,
  decodeEventFrame,
  boundLogs,
  boundOutput,
  MAX_OUTPUT_BYTES,
  type EventTransport,
} from '../src/index.js';

class Recorder implements EventTransport {
  sent: string[] = [];
  async broadcast(payload: string) {
    this.sent.push(payload);
  }
}

describe('event publisher', () => {
  it('stamps events with the time they happened and sends them as JSON', async () => {
    const transport = new Recorder();
    const publisher = new EventPublisher(
      transport,
      undefined,
      () => new Date('2026-01-01T00:00:00Z'),
    );
    await publisher.publish({ type: 'worker_offline', workerId: 'w1', reason: 'SIGTERM' });
    expect(JSON.parse(transport.sent[0]!)).toEqual({
      type: 'worker_offline',
      workerId: 'w1',
      reason: 'SIGTERM',
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('drops an event too large for a WebSocket frame instead of failing the flow', async () => {
    const transport = new Recorder();
    await new EventPublisher(transport).publish({
      type: 'worker_offline',
      workerId: 'w1',
      reason: 'x'.repeat(MAX_EVENT_BYTES),
    });
    expect(transport.sent).toEqual([]);
  });

  it('survives a transport that throws', async () => {
    const publisher = new EventPublisher({
      broadcast: async () => Promise.reject(new Error('down')),
    });
    await expect(
      publisher.publish({ type: 'worker_offline', workerId: 'w', reason: 'r' }),
    ).resolves.toMatchObject({ type: 'worker_offline' });
  });
});

/** A transport whose posts stay in flight until released, as a slow connection's would. */
class SlowTransport implements EventTransport {
  frames: string[] = [];
  private releases: (() => void)[] = [];
  async broadcast(payload: string) {
    this.frames.push(payload);
    await new Promise<void>((resolve) => this.releases.push(resolve));
  }
  releaseAll() {
    const releases = this.releases.splice(0);
    for (const release of releases) release();
  }
  /** Releases posts as they come until `done` settles. */
  async drain(done: Promise<unknown>) {
    let settled = false;
    void done.finally(() => (settled = true));
    while (!settled) {
      this.releaseAll();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

const offline = (n: number, reason = 'r') => ({
  type: 'worker_offline' as const,
  workerId: `w${n}`,
  reason,
});

describe('event order and framing', () => {
  it('sends events in the order they were published, those that waited together in one frame', async () => {
    const transport = new SlowTransport();
    const publisher = new EventPublisher(transport);
    const first = publisher.publish(offline(1));
    const rest = [2, 3, 4].map((n) => publisher.publish(offline(n)));
    // While the first frame is in flight nothing else is posted, so nothing can overtake it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(transport.frames).toHaveLength(1);
    await transport.drain(Promise.all([first, ...rest]));
    expect(transport.frames).toHaveLength(2);
    expect(decodeEventFrame(transport.frames[0]!)).toMatchObject([{ workerId: 'w1' }]);
    expect(decodeEventFrame(transport.frames[1]!)).toMatchObject([
      { workerId: 'w2' },
      { workerId: 'w3' },
      { workerId: 'w4' },
    ]);
  });

  it('splits a backlog into frames under the frame limit, keeping the order', async () => {
    const transport = new SlowTransport();
    const publisher = new EventPublisher(transport);
    const big = 'x'.repeat(9 * 1024);
    const all = Array.from({ length: 12 }, (_, n) => publisher.publish(offline(n, big)));
    await transport.drain(Promise.all(all));
    expect(transport.frames.length).toBeGreaterThan(3);
    for (const frame of transport.frames) {
      expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    }
    const order = transport.frames.flatMap((frame) =>
      decodeEventFrame(frame).map((event) => (event as { workerId: string }).workerId),
    );
    expect(order).toEqual(Array.from({ length: 12 }, (_, n) => `w${n}`));
  });

  it('drops the oldest waiting events rather than growing without bound behind a stalled transport', async () => {
    const transport = new SlowTransport();
    const publisher = new EventPublisher(transport);
    const all = Array.from({ length: MAX_PENDING_EVENTS + 51 }, (_, n) =>
      publisher.publish(offline(n)),
    );
    await transport.drain(Promise.all(all));
    const sent = transport.frames.flatMap((frame) =>
      decodeEventFrame(frame).map((event) => (event as { workerId: string }).workerId),
    );
    // The first was in flight; of the rest, the newest MAX_PENDING_EVENTS were kept, in order.
    expect(sent).toHaveLength(1 + MAX_PENDING_EVENTS);
    expect(sent[0]).toBe('w0');
    expect(sent[1]).toBe('w51');
    expect(sent.at(-1)).toBe(`w${MAX_PENDING_EVENTS + 50}`);
  });

  it('decodes a single event, a batch, and nothing from text that is not JSON', () => {
    expect(decodeEventFrame('{"type":"a"}')).toEqual([{ type: 'a' }]);
    expect(decodeEventFrame('[{"type":"a"},{"type":"b"}]')).toEqual([{ type: 'a' }, { type: 'b' }]);
    expect(decodeEventFrame('pong')).toEqual([]);
  });
});

describe('record bounds', () => {
  it('keeps small output as is and replaces oversized output with a note', () => {
    expect(boundOutput({ a: 1 })).toEqual({ a: 1 });
    const big = boundOutput({ blob: 'x'.repeat(MAX_OUTPUT_BYTES) }) as {
      truncated: boolean;
      note: string;
    };
    expect(big.truncated).toBe(true);
    expect(big.note).toMatch(/limit/);
  });

  it('keeps the last log lines, each bounded', () => {
    const logs = boundLogs(Array.from({ length: 80 }, (_, i) => `line ${i}`))!;
    expect(logs).toHaveLength(50);
    expect(logs[0]).toBe('line 30');
    expect(boundLogs(['y'.repeat(1000)])![0]).toHaveLength(501);
  });
});
