/** Time helpers. Everything that reasons about time takes a clock so tests can fake it. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
export const iso = (ms: number): string => new Date(ms).toISOString();
export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);
export const DAY_MS = 24 * 3600 * 1000;
/** Resolves after `ms`, or at once when `signal` fires (never rejects). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
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

/**
 * Capped exponential backoff: `baseMs` doubled for each failure after the first, at most
 * `maxMs`. The one formula for every retry and respawn delay (callers add jitter if they want).
 */
export const backoffMs = (failures: number, baseMs: number, maxMs: number): number =>
  failures <= 0 ? 0 : Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
