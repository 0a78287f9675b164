/**
 * The sweep's dead-letter reconciliation over the real emulators: SQS moves a message to the
 * dead-letter queue by itself after its receives run out (workers killed mid-execution), and the
 * sweep must then record that execution FAILED/WorkerLost, once, leave the message where operators
 * find it, and touch nothing that is still alive, already finished or the worker's own copy of an
 * invalid message. Messages are put in the dead-letter queue directly, as SQS would after the
 * third receive; the records are written through the repository exactly as the worker claims them.
 */
import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, type ExecutionRecord } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

let stack: TestStack;
let cp: TestControlPlane;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A work message as SQS leaves it in the dead-letter queue after the last receive. */
async function deadLetter(body: string, attributes: Record<string, string> = {}): Promise<string> {
  const sent = await stack.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.deadLetterQueueUrl,
      MessageBody: body,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
  return sent.MessageId!;
}

/** Claims as a worker does; a 1 ms lease has expired by the time the sweep looks. */
async function claim(executionId: string, leaseMs: number, attempt = 3): Promise<ExecutionRecord> {
  const result = await stack.repos.executions.claim({
    executionId,
    workflowId: 'wf-lost',
    workerId: 'worker-killed',
    attempt,
    leaseMs,
    queuedAt: new Date().toISOString(),
    timeoutSeconds: 60,
  });
  if (!result.claimed) throw new Error(`could not claim ${executionId}`);
  return result.record;
}

/** Every message in the dead-letter queue, read without hiding any. */
async function deadLetters(): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (let i = 0; i < 10; i++) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    for (const message of Messages) seen.set(message.MessageId!, message);
  }
  return [...seen.values()];
}

const get = async (executionId: string) => (await stack.repos.executions.get(executionId))!;

describe('dead-letter reconciliation', () => {
  it('fails an abandoned RUNNING execution as WorkerLost once, announces it and keeps the message', async () => {
    const executionId = `lost-${randomUUID()}`;
    await claim(executionId, 1);
    const messageId = await deadLetter(JSON.stringify({ executionId, workflowId: 'wf-lost' }));
    await sleep(20);
    const client = await cp.listen();

    const first = await cp.sweep();
    expect(first.reconciled).toContainEqual({ executionId, workflowId: 'wf-lost', was: 'RUNNING' });
    const record = await get(executionId);
    expect(record.status).toBe('FAILED');
    expect(record.errorType).toBe('WorkerLost');
    expect(record.errorMessage).toBe(
      `The worker running this execution was lost 3 time(s); SQS moved its message to the dead-letter queue after ${QUEUES.work.maxReceiveCount} receives. Redrive it from the dead-letter queue to run it again (the same execution id is claimed afresh).`,
    );
    expect(record.finishedAt).toBeDefined();
    expect(record.leaseExpiresAt).toBeUndefined();
    const event = await client.next('execution_finished', (e) => e.executionId === executionId);
    expect(event).toMatchObject({
      workflowId: 'wf-lost',
      workerId: 'worker-killed',
      status: 'FAILED',
      errorType: 'WorkerLost',
    });
    await client.close();

    // The message stays for operators to inspect and redrive.
    expect((await deadLetters()).map((m) => m.MessageId)).toContain(messageId);

    // A second sweep finds nothing left to do and rewrites nothing.
    const second = await cp.sweep();
    expect(second.reconciled.map((r) => r.executionId)).not.toContain(executionId);
    expect(await get(executionId)).toEqual(record);
  });

  it('derives the execution from the message id when the body has none, as the worker does', async () => {
    const messageId = await deadLetter(JSON.stringify({ workflowId: 'wf-lost' }));
    await claim(messageId, 1, 2);
    await sleep(20);
    const result = await cp.sweep();
    expect(result.reconciled).toContainEqual({
      executionId: messageId,
      workflowId: 'wf-lost',
      was: 'RUNNING',
    });
    expect((await get(messageId)).errorMessage).toMatch(
      /^The worker running this execution was lost 2 time\(s\)/,
    );
  });

  it('fails a QUEUED execution whose message no worker ever claimed', async () => {
    const executionId = `unclaimed-${randomUUID()}`;
    await stack.repos.executions.createQueued({ executionId, workflowId: 'wf-lost' });
    await deadLetter(JSON.stringify({ executionId, workflowId: 'wf-lost' }));
    const result = await cp.sweep();
    expect(result.reconciled).toContainEqual({ executionId, workflowId: 'wf-lost', was: 'QUEUED' });
    const record = await get(executionId);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'WorkerLost' });
    expect(record.errorMessage).toMatch(/^No worker claimed this execution; SQS moved its message/);
  });

  it('leaves a live lease, a finished execution and a missing record alone', async () => {
    const live = `live-${randomUUID()}`;
    const liveRecord = await claim(live, 10 * 60_000);
    const done = `done-${randomUUID()}`;
    await claim(done, 10 * 60_000);
    const finished = await stack.repos.executions.finish(done, 'worker-killed', {
      status: 'SUCCESS',
      output: { ok: true },
    });
    const missing = `missing-${randomUUID()}`;
    for (const executionId of [live, done, missing]) {
      await deadLetter(JSON.stringify({ executionId, workflowId: 'wf-lost' }));
    }

    const result = await cp.sweep();
    const ids = result.reconciled.map((r) => r.executionId);
    expect(ids).not.toContain(live);
    expect(ids).not.toContain(done);
    expect(ids).not.toContain(missing);
    expect(await get(live)).toMatchObject({
      status: 'RUNNING',
      leaseExpiresAt: liveRecord.leaseExpiresAt,
    });
    expect(await get(done)).toEqual(finished);
    expect(await stack.repos.executions.get(missing)).toBeUndefined();
  });

  it("leaves the worker's own dead-letter copy of an invalid message and its FAILED record as they are", async () => {
    const executionId = `invalid-${randomUUID()}`;
    await stack.repos.executions.failUnrun({
      executionId,
      workflowId: 'unknown',
      errorType: 'InvalidMessage',
      errorMessage: 'the message body is not valid JSON',
      queuedAt: new Date().toISOString(),
    });
    const before = await get(executionId);
    await deadLetter('not json at all', {
      'warden.errorType': 'InvalidMessage',
      'warden.errorMessage': 'the message body is not valid JSON',
      'warden.executionId': executionId,
      'warden.sourceMessageId': executionId,
      'warden.workerId': 'worker-1',
    });
    const result = await cp.sweep();
    expect(result.reconciled.map((r) => r.executionId)).not.toContain(executionId);
    expect(await get(executionId)).toEqual(before);
  });

  it('lets a redriven message claim the execution again, and only that kind of FAILED record', async () => {
    const executionId = `redrive-${randomUUID()}`;
    await claim(executionId, 1);
    await deadLetter(JSON.stringify({ executionId, workflowId: 'wf-lost' }));
    await sleep(20);
    await cp.sweep();
    expect((await get(executionId)).deadLetteredAt).toBeDefined();

    // The operator redrives: the next worker to receive it claims the same execution afresh.
    const again = await claim(executionId, 60_000, 1);
    expect(again.status).toBe('RUNNING');
    expect(again.errorType).toBeUndefined();
    expect(again.deadLetteredAt).toBeUndefined();

    // A record failed for any other reason is never claimed again by a duplicate delivery.
    const invalid = `invalid-${randomUUID()}`;
    await stack.repos.executions.failUnrun({
      executionId: invalid,
      workflowId: 'unknown',
      errorType: 'InvalidMessage',
      errorMessage: 'bad',
      queuedAt: new Date().toISOString(),
    });
    await expect(claim(invalid, 60_000)).rejects.toThrow(/could not claim/);
  });

  it('leaves alone an execution whose id a dead-lettered message of another workflow reuses', async () => {
    // Both states the sweep would otherwise fail: QUEUED, and RUNNING under an expired lease
    // (a lease that ended a second before it was taken needs no waiting).
    const queuedId = `reused-${randomUUID()}`;
    await stack.repos.executions.createQueued({
      executionId: queuedId,
      workflowId: 'wf-lost',
      input: { mine: true },
    });
    const runningId = `reused-${randomUUID()}`;
    await claim(runningId, -1000);
    const before = [await get(queuedId), await get(runningId)];
    await deadLetter(JSON.stringify({ executionId: queuedId, workflowId: 'wf-other' }));
    await deadLetter(JSON.stringify({ executionId: runningId, workflowId: 'wf-other' }));
    await deadLetter(JSON.stringify({ executionId: runningId }));

    const result = await cp.sweep();
    expect(result.reconciled.map((r) => r.executionId)).not.toContain(queuedId);
    expect(result.reconciled.map((r) => r.executionId)).not.toContain(runningId);
    expect([await get(queuedId), await get(runningId)]).toEqual(before);
  });
});
