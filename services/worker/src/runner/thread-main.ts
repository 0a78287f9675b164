/**
 * Thread mode: the entry of one pool thread. It stays warm across executions (modules loaded once
 * per thread) and may run several at once when WORKER_EXECUTIONS_PER_THREAD allows. It does no
 * timing of its own: a thread that blocks cannot run timers, so the orchestrator keeps the clock.
 *
 * It publishes its liveness for the pool process to read from outside: a counter bumped on each
 * turn of the event loop (it stops when the thread spins or waits) and the tag of the execution
 * whose callback runs right now, so a blocked thread names the one execution holding it.
 */
import { createHook, executionAsyncResource } from 'node:async_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { LIVENESS, type FromThread, type ToThread } from '../protocol.js';
import { replaceEnv } from './env.js';
import { RunnerExecutions } from './run-workflow.js';

if (!parentPort) throw new Error('thread-main must run as a worker thread');
const port = parentPort;
const liveness = new Int32Array((workerData as { liveness: SharedArrayBuffer }).liveness);
const TICK_MS = 50;
const ticker = setInterval(() => Atomics.add(liveness, LIVENESS.ticks, 1), TICK_MS);

// Each execution's callbacks (timers, I/O, promise continuations) carry its tag: a resource
// created while an execution's code runs is stamped with its tag, and the hook writes the tag of
// whatever is about to run. (Stamped on the resource itself rather than read from
// AsyncLocalStorage, whose propagation differs between Node versions.) A stack, because callbacks
// can nest synchronously.
const TAG = Symbol('warden.executionTag');
type Tagged = { [TAG]?: number };
const running: number[] = [];
const current = (): number => running.at(-1) ?? 0;
const enter = (tag: number): void => {
  running.push(tag);
  Atomics.store(liveness, LIVENESS.current, tag);
};
const leave = (): void => {
  running.pop();
  Atomics.store(liveness, LIVENESS.current, current());
};
createHook({
  init(_asyncId, _type, _triggerAsyncId, resource: Tagged) {
    const tag = current();
    if (tag) resource[TAG] = tag;
  },
  before: () => enter((executionAsyncResource() as Tagged)[TAG] ?? 0),
  after: leave,
}).enable();

const post = (message: FromThread): void => port.postMessage(message);
const executions = new RunnerExecutions(post);

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'run':
      enter(message.tag);
      try {
        void executions.run(message.request);
      } finally {
        leave();
      }
      break;
    case 'cancel':
      executions.cancel(message.executionId, message.reason);
      break;
    case 'env':
      // A thread has its own copy of process.env (taken when it started).
      replaceEnv(message.env);
      break;
    case 'exit':
      clearInterval(ticker);
      // Ends this thread only; the pool asks only when nothing runs here.
      process.exit(0);
  }
});
post({ type: 'ready' });
