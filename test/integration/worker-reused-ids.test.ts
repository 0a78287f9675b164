/**
 * A message that reuses the execution id of another workflow's execution, against a real worker
 * over the emulators: whatever the message is (a known workflow, an unknown one, a blacklisted
 * one, or not a work message at all), it goes to the dead-letter queue saying why, the execution
 * it names keeps its record untouched, and that execution's own message still runs it.
 */
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  killAllWorkers,
  newExecutionId,
  sendMessage,
  startWorker,
  waitForTerminal,
  type WorkerProcess,
} from '../support/worker-process.js';

let stack: TestStack;
let worker: WorkerProcess;
beforeAll(async () => {
  stack = await startTestStack();
  await stack.repos.blacklist.add({
    workflowId: 'noop',
    reason: 'manual:refused in tests',
    blacklistedBy: 'tests',
  });
  worker = startWorker(stack, { mode: 'process' });
  await worker.online();
});
afterAll(async () => {
  await killAllWorkers();
  await stack?.stop();
});

/** Dead-letter messages by the id of the work message they copy (read without hiding them). */
async function deadLettersFor(sourceIds: string[]): Promise<Map<string, Message>> {
  const seen = new Map<string, Message>();
  await waitFor(
    `dead letters for ${sourceIds.length} messages`,
    async () => {
      const { Messages = [] } = await stack.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) {
        const source = message.MessageAttributes?.['warden.sourceMessageId']?.StringValue;
        if (source) seen.set(source, message);
      }
      return sourceIds.every((id) => seen.has(id));
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return seen;
}

const attribute = (message: Message | undefined, name: string) =>
  message?.MessageAttributes?.[`warden.${name}`]?.StringValue;

describe("a message that reuses another workflow's execution id", () => {
  it('neither runs under nor fails that execution; it is dead-lettered saying why and the original still runs', async () => {
    const executionId = newExecutionId('owned');
    const queued = await stack.repos.executions.createQueued({
      executionId,
      workflowId: 'echo',
      input: { secret: 'for echo only' },
    });

    const intruders = {
      known: await sendMessage(stack, { executionId, workflowId: 'sleep', input: { ms: 10 } }),
      unknown: await sendMessage(stack, { executionId, workflowId: 'no-such-workflow' }),
      blacklisted: await sendMessage(stack, { executionId, workflowId: 'noop' }),
      invalid: await sendMessage(stack, { executionId, workflowId: 'bad id!' }),
    };
    const letters = await deadLettersFor(Object.values(intruders));
    const owned = `execution id "${executionId}" belongs to an execution of workflow "echo"`;
    expect(attribute(letters.get(intruders.known), 'errorType')).toBe('ExecutionIdConflict');
    expect(attribute(letters.get(intruders.known), 'errorMessage')).toContain(owned);
    expect(attribute(letters.get(intruders.blacklisted), 'errorType')).toBe('ExecutionIdConflict');
    expect(attribute(letters.get(intruders.unknown), 'errorType')).toBe('UnknownWorkflow');
    expect(attribute(letters.get(intruders.unknown), 'errorMessage')).toContain(owned);
    expect(attribute(letters.get(intruders.invalid), 'errorType')).toBe('InvalidMessage');
    expect(attribute(letters.get(intruders.invalid), 'errorMessage')).toContain(owned);
    await waitFor('the worker to log why', () =>
      worker.output().includes("reuses another workflow's execution id"),
    );

    // The record is exactly as its producer wrote it.
    expect(await stack.repos.executions.get(executionId)).toEqual(queued);

    // And the execution's own message runs it, with its own input.
    await sendMessage(stack, {
      executionId,
      workflowId: 'echo',
      input: { secret: 'for echo only' },
    });
    expect(await waitForTerminal(stack, executionId)).toMatchObject({
      status: 'SUCCESS',
      workflowId: 'echo',
      attempt: 1,
      output: { echo: { secret: 'for echo only' } },
    });
  });
});
