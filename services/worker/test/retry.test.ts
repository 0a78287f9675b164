import { describe, expect, it } from 'vitest';
import { createLogger } from '@warden/core';
import { withRetry } from '../src/retry.js';

const logger = createLogger('test', 'silent');
const named = (name: string) => Object.assign(new Error(name), { name });

describe('withRetry', () => {
  it('retries transient failures until the call succeeds', async () => {
    let calls = 0;
    const value = await withRetry(
      'a flaky call',
      async () => {
        if (++calls < 4) throw named('ThrottlingException');
        return 'done';
      },
      { logger, baseDelayMs: 1, maxDelayMs: 2 },
    );
    expect(value).toBe('done');
    expect(calls).toBe(4);
  });

  it('does not retry what no retry can fix', async () => {
    let calls = 0;
    await expect(
      withRetry(
        'a bad request',
        async () => {
          calls++;
          throw named('ReceiptHandleIsInvalid');
        },
        { logger, baseDelayMs: 1 },
      ),
    ).rejects.toThrow('ReceiptHandleIsInvalid');
    expect(calls).toBe(1);
  });

  it('gives up once its signal fires', async () => {
    const controller = new AbortController();
    let calls = 0;
    const attempt = withRetry(
      'an outage',
      async () => {
        calls++;
        throw named('NetworkingError');
      },
      { logger, baseDelayMs: 20, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(attempt).rejects.toThrow('NetworkingError');
    expect(calls).toBeGreaterThan(1);
  });
});
