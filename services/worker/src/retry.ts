/**
 * Retries calls to AWS that fail transiently (throttling, a network blip, an emulator restart)
 * with capped exponential backoff and jitter, so the worker neither crashes nor drops work.
 */
import { backoffMs, sleep, type Logger } from '@warden/core';

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

/** Core's `sleep`, under the name the worker uses for waits between attempts. */
export const delay = sleep;

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
      const wait = backoffMs(attempt, base, max) * (0.5 + Math.random() / 2);
      options.logger[attempt >= 3 ? 'error' : 'warn'](
        { err: error, attempt, retryInMs: Math.round(wait), ...options.context },
        `${what} failed; retrying`,
      );
      await delay(wait, options.signal);
    }
  }
}
