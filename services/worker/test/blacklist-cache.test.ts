import { describe, expect, it } from 'vitest';
import { createLogger, type BlacklistEntry } from '@warden/core';
import { BlacklistCache } from '../src/blacklist-cache.js';

const entry = (workflowId: string): BlacklistEntry => ({
  workflowId,
  reason: 'auto:stuck:5',
  blacklistedAt: '2026-01-01T00:00:00.000Z',
});
const logger = createLogger('test', 'silent');

function source(lists: (BlacklistEntry[] | Error)[]) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    async listActive() {
      const next = lists[Math.min(reads++, lists.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('blacklist cache', () => {
  it('reads the whole list once per cache period', async () => {
    const list = source([[entry('bad')], []]);
    let now = 0;
    const cache = new BlacklistCache(list, 5000, logger, () => now);
    expect(await cache.get('bad')).toMatchObject({ reason: 'auto:stuck:5' });
    expect(await cache.get('good')).toBeUndefined();
    expect(list.reads).toBe(1);
    now += 5000;
    expect(await cache.get('bad')).toBeUndefined();
    expect(list.reads).toBe(2);
  });

  it('reads on every check when the period is 0', async () => {
    const list = source([[], [entry('bad')]]);
    const cache = new BlacklistCache(list, 0, logger, () => 0);
    expect(await cache.get('bad')).toBeUndefined();
    expect(await cache.get('bad')).toBeDefined();
  });

  it('keeps the last list when a refresh fails, and fails when it never had one', async () => {
    let now = 0;
    const cache = new BlacklistCache(
      source([[entry('bad')], new Error('throttled')]),
      1000,
      logger,
      () => now,
    );
    await cache.get('bad');
    now += 2000;
    expect(await cache.get('bad')).toBeDefined();
    const cold = new BlacklistCache(source([new Error('unreachable')]), 1000, logger, () => 0);
    await expect(cold.get('bad')).rejects.toThrow('unreachable');
  });
});
