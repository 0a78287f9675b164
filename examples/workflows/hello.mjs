/** A workflow with no dependency at all: any default export of this shape works. */
export default {
  id: 'hello',
  name: 'Hello',
  run(input) {
    return { greeting: `Hello, ${typeof input?.name === 'string' ? input.name : 'world'}!` };
  },
};
