/** Blocks its thread synchronously forever (Atomics.wait on a value nobody changes). */
export default {
  id: 'sync-block',
  name: 'Synchronous block',
  timeoutSeconds: 10,
  run(_input, ctx) {
    ctx.log('blocking');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
};
