import { describe, expect, it } from 'vitest';
import { autoReason, countStuck, decideTrips, type StuckRecord } from '../src/index.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();
const stuck = (
  workflowId: string,
  minutes: number,
  id = `${workflowId}-${minutes}`,
): StuckRecord => ({
  workflowId,
  executionId: id,
  stuckAt: minutesAgo(minutes),
  stuckKey: `${minutesAgo(minutes)}#${id}`,
  workerId: 'w',
  elapsedMs: 1000,
});
const config = { stuck_circuit_breaker_threshold: 5, stuck_circuit_breaker_window_minutes: 60 };

describe('circuit breaker decision', () => {
  it('trips a workflow at the threshold inside the window, not below it', () => {
    const records = [1, 2, 3, 4, 5]
      .map((m) => stuck('spin', m))
      .concat([1, 2, 3, 4].map((m) => stuck('almost', m)));
    const trips = decideTrips({
      records,
      counterResets: new Map(),
      alreadyBlacklisted: new Set(),
      config,
      now: NOW,
    });
    expect(trips).toEqual([{ workflowId: 'spin', stuckCount: 5, lastStuckAt: minutesAgo(1) }]);
    expect(autoReason(trips[0]!.stuckCount)).toBe('auto:stuck:5');
  });

  it('ignores records older than the window', () => {
    const records = [1, 2, 3, 4, 61, 90].map((m) => stuck('spin', m));
    expect(
      decideTrips({
        records,
        counterResets: new Map(),
        alreadyBlacklisted: new Set(),
        config,
        now: NOW,
      }),
    ).toEqual([]);
  });

  it('counts only records after the last counter reset', () => {
    const records = [1, 2, 10, 11, 12, 13].map((m) => stuck('spin', m));
    const counterResets = new Map([['spin', minutesAgo(5)]]);
    expect(countStuck(records, counterResets, minutesAgo(60)).get('spin')?.count).toBe(2);
    expect(
      decideTrips({ records, counterResets, alreadyBlacklisted: new Set(), config, now: NOW }),
    ).toEqual([]);
  });

  it('never trips a workflow that is already blacklisted', () => {
    const records = [1, 2, 3, 4, 5, 6].map((m) => stuck('spin', m));
    expect(
      decideTrips({
        records,
        counterResets: new Map(),
        alreadyBlacklisted: new Set(['spin']),
        config,
        now: NOW,
      }),
    ).toEqual([]);
  });
});
