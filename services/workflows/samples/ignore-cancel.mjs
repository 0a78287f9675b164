/** Waits forever and ignores its abort signal, like code stuck on a request without a timeout. */
export default {
  id: 'ignore-cancel',
  name: 'Ignores cancellation',
  timeoutSeconds: 10,
  async run(_input, ctx) {
    ctx.log('waiting for something that never comes');
    // The interval keeps the event loop alive, as an open socket would.
    await new Promise(() => setInterval(() => {}, 1000));
  },
};
