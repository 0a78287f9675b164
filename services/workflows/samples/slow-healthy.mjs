/**
 * Runs for `input.ms` (default 5000) in small steps, well inside its timeout, logging progress:
 * the healthy neighbour that must survive a stuck execution in the same process.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export default {
  id: 'slow-healthy',
  name: 'Slow but healthy',
  timeoutSeconds: 120,
  async run(input, ctx) {
    const ms = Number(input?.ms ?? 5000);
    const started = Date.now();
    let steps = 0;
    while (Date.now() - started < ms) {
      await sleep(Math.min(250, ms - (Date.now() - started)), undefined, { signal: ctx.signal });
      steps++;
      if (steps % 4 === 0) ctx.log(`working: ${Date.now() - started} of ${ms} ms`);
    }
    return { ranMs: Date.now() - started, steps };
  },
};
