import { describe, expect, it } from 'vitest';
import {
  EventPublisher,
  MAX_EVENT_BYTES,
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
