/**
 * Input nested deeper than MAX_INPUT_DEPTH, against the API and a real worker over the
 * emulators: the API answers 400 naming the limit and writes nothing; a raw message ends
 * FAILED/InvalidMessage in the dead-letter queue on its first receipt (DynamoDB itself would
 * refuse the record past 32 levels, and the message would come back until SQS gave up on it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INPUT_DEPTH } from '@warden/core';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  killAllWorkers,
  newExecutionId,
  queueDepth,
  readDeadLetters,
  startWorker,
  submit,
  waitForTerminal,
} from '../support/worker-process.js';

let stack: TestStack;
let cp: TestControlPlane;
beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  const worker = startWorker(stack, { mode: 'process', env: cp.workerEnv });
  await worker.online();
});
afterAll(async () => {
  await killAllWorkers();
  await cp?.stop();
  await stack?.stop();
});

/** `levels` objects nested inside one another around a number. */
function nested(levels: number): unknown {
  let value: unknown = 42;
  for (let i = 0; i < levels; i++) value = { inner: value };
  return value;
}

describe('deeply nested input', () => {
  it('is refused by the API with 400 naming the limit, and nothing is written', async () => {
    const executionId = newExecutionId('deep');
    const response = await cp.api('POST', '/api/executions', {
      body: { workflowId: 'echo', executionId, input: nested(60) },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input' });
    expect(response.body.error?.message).toContain(`at most ${MAX_INPUT_DEPTH} are accepted`);
    expect(await stack.repos.executions.get(executionId)).toBeUndefined();
  });

  it('fails a raw message as InvalidMessage on its first receipt and dead-letters it', async () => {
    const executionId = await submit(stack, 'echo', { input: nested(60) });
    const record = await waitForTerminal(stack, executionId);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'InvalidMessage', attempt: 1 });
    expect(record.errorMessage).toContain(
      `input: nests objects and arrays more than ${MAX_INPUT_DEPTH} levels deep`,
    );
    const letters = await readDeadLetters(stack, [executionId]);
    expect(letters.get(executionId)?.MessageAttributes?.['warden.errorType']?.StringValue).toBe(
      'InvalidMessage',
    );
    await waitFor('the work queue to be empty', async () => (await queueDepth(stack)) === 0);
  });

  it('runs input exactly at the limit', async () => {
    const input = nested(MAX_INPUT_DEPTH);
    const executionId = await submit(stack, 'echo', { input });
    const record = await waitForTerminal(stack, executionId);
    expect(record).toMatchObject({ status: 'SUCCESS', output: { echo: input } });
  });
});
