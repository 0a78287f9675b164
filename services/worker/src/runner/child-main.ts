/**
 * Process mode: the entry of a child forked for exactly one execution. It runs the workflow on its
 * main thread, reports over IPC, and exits once its result is delivered. If the orchestrator goes
 * away first there is nobody to report to, so it exits at once (the message returns to the queue).
 */
import type { FromChild, ToChild } from '../protocol.js';
import { replaceEnv } from './env.js';
import { RunnerExecutions } from './run-workflow.js';

const send = (message: FromChild, done: () => void = () => {}): void => {
  if (process.connected) process.send?.(message, () => done());
  else done();
};

const executions = new RunnerExecutions((event) => {
  if (event.type === 'result') send(event, () => process.exit(0));
  else send(event);
});

process.on('message', (message: ToChild) => {
  switch (message.type) {
    case 'run':
      void executions.run(message.request);
      break;
    case 'cancel':
      executions.cancelAll(message.reason);
      break;
    case 'env':
      replaceEnv(message.env);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
