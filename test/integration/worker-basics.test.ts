/**
 * The worker end to end over the emulators, in both modes: real worker processes consume real SQS
 * messages and write real records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  MODES,
  killAllWorkers,
  startWorker,
  submit,
  waitForTerminal,
  type WorkerProcess,
} from '../support/worker-process.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await killAllWorkers();
  await stack?.stop();
});

describe.each(MODES)('worker in %s mode', (mode) => {
  let worker: WorkerProcess;

  beforeAll(async () => {
    worker = startWorker(stack, { mode });
    await worker.online();
  });
  afterAll(async () => {
    await worker.stop();
  });

  it('runs echo to SUCCESS with its output, queue time and duration', async () => {
    const id = await submit(stack, 'echo', { input: { hello: 'world' } });
    const record = await waitForTerminal(stack, id);
    expect(record).toMatchObject({
      status: 'SUCCESS',
      workflowId: 'echo',
      output: { echo: { hello: 'world' } },
      attempt: 1,
      workerId: worker.workerId,
    });
    expect(record.queueTimeMs).toBeGreaterThanOrEqual(0);
    expect(record.durationMs).toBeGreaterThan(0);
    expect(record.pid).toBeGreaterThan(0);
    console.log(record);
  });
});
