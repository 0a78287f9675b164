/**
 * Does nothing but say when it started (epoch milliseconds with sub-millisecond precision), so a
 * benchmark can measure dispatch latency from outside.
 */
export default {
  id: 'noop',
  name: 'No-op',
  timeoutSeconds: 30,
  run() {
    return { startedAt: performance.timeOrigin + performance.now() };
  },
};
