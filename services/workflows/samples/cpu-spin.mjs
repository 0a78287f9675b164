/** Spins forever on the CPU. Cancellation cannot reach it: it never yields. */
export default {
  id: 'cpu-spin',
  name: 'CPU spin',
  timeoutSeconds: 10,
  run(_input, ctx) {
    ctx.log('spinning');
    while (true) {}
  },
};
