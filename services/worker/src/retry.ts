/**
 * Retries calls to AWS that fail transiently (throttling, a network blip, an emulator restart)
 * with capped exponential backoff and jitter, so the worker neither crashes nor drops work.
 */
import type { Logger } from '@warden/core';

/** Errors no retry can fix: the request itself is wrong, or the thing it names is gone. */
const PERMANENT = new Set([
  'ValidationException',
  'ReceiptHandleIsInvalid',
  'InvalidParameterValue',
  'MessageNotInflight',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'InvalidAttributeName',
  'InvalidAttributeValue',
  'InvalidMessageContents',
  'ConditionalCheckFailedException',
]);

export const isPermanent = (error: unknown): boolean =>
  error instanceof Error && PERMANENT.has(error.name);

export interface RetryOptions {
  logger: Logger;
  /** Gives up (rethrowing the last error) once this fires. */
  signal?: AbortSignal;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts before giving up; unlimited by default. */
  attempts?: number;
  context?: Record<string, unknown>;
}

export const delay = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  const attempts = options.attempts ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (isPermanent(error) || attempt >= attempts || options.signal?.aborted) throw error;
      const wait = Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      options.logger[attempt >= 3 ? 'error' : 'warn'](
        { err: error, attempt, retryInMs: Math.round(wait), ...options.context },
        `${what} failed; retrying`,
      );
      await delay(wait, options.signal);
    }
  }
}
