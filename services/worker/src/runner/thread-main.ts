/**
 * Thread mode: the entry of one pool thread. It stays warm across executions (modules loaded once
 * per thread) and may run several at once when WORKER_EXECUTIONS_PER_THREAD allows. It does no
 * timing of its own: a thread that blocks cannot run timers, so the orchestrator keeps the clock.
 */
import { parentPort } from 'node:worker_threads';
import type { FromThread, ToThread } from '../protocol.js';
import { replaceEnv } from './env.js';
import { RunnerExecutions } from './run-workflow.js';

if (!parentPort) throw new Error('thread-main must run as a worker thread');
const port = parentPort;
const post = (message: FromThread): void => port.postMessage(message);
const executions = new RunnerExecutions(post);

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'run':
      void executions.run(message.request);
      break;
    case 'cancel':
      executions.cancel(message.executionId, message.reason);
      break;
    case 'env':
      // A thread has its own copy of process.env (taken when it started).
      replaceEnv(message.env);
      break;
  }
});
post({ type: 'ready' });
