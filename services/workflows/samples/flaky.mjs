/**
 * Fails until its `input.succeedOnAttempt`-th attempt (default 3), then succeeds: shows a retry
 * policy at work. Each failure is retried through the queue after a one-second backoff.
 */
export default {
  id: 'flaky',
  name: 'Flaky (retried)',
  timeoutSeconds: 30,
  retry: { attempts: 3, backoffSeconds: 1, backoffRate: 2 },
  run(input, ctx) {
    const succeedOn = Number(input?.succeedOnAttempt ?? 3);
    if (ctx.attempt < succeedOn) {
      ctx.log(`attempt ${ctx.attempt} fails on purpose`);
      throw new Error(`attempt ${ctx.attempt} of ${succeedOn} fails on purpose`);
    }
    ctx.log(`attempt ${ctx.attempt} succeeds`);
    return { succeededOnAttempt: ctx.attempt };
  },
};
