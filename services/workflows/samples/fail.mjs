/** Always throws: a workflow error, reported as FAILED / WorkflowError. */
export default {
  id: 'fail',
  name: 'Always fails',
  timeoutSeconds: 30,
  run(input, ctx) {
    ctx.log('about to fail');
    throw new Error(input?.message ?? 'this workflow always fails');
  },
};
