/** Returns its input: the simplest healthy workflow. */
export default {
  id: 'echo',
  name: 'Echo',
  timeoutSeconds: 30,
  run(input, ctx) {
    ctx.log('echoing input of attempt', ctx.attempt);
    return { echo: input ?? null };
  },
};
