/** Sleeps for `input.ms` (default 1000) and stops as soon as it is cancelled. */
import { setTimeout as sleep } from 'node:timers/promises';

export default {
  id: 'sleep',
  name: 'Sleep',
  timeoutSeconds: 60,
  async run(input, ctx) {
    const ms = Number(input?.ms ?? 1000);
    ctx.log(`sleeping ${ms} ms`);
    // Rejects with an AbortError when the signal fires: the cooperative way to stop.
    await sleep(ms, undefined, { signal: ctx.signal });
    return { sleptMs: ms };
  },
};
