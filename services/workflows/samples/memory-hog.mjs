/** Allocates JavaScript heap until it runs out: must fail alone, as OutOfMemory. */
export default {
  id: 'memory-hog',
  name: 'Memory hog',
  timeoutSeconds: 60,
  run(_input, ctx) {
    ctx.log('allocating without limit');
    const hoard = [];
    for (let i = 0; ; i++) hoard.push(new Array(100_000).fill(i));
  },
};
