/**
 * The operator controls over real HTTP against the control plane and a real worker (thread mode)
 * on the embedded emulators: pause and resume, cancel (queued and running), retry policies, rerun
 * (one and in bulk, counted first), and the dead-letter queue's list, redrive and delete. Each
 * route also answers 401 without a token, 403 to a non-admin, and 400 naming the field at fault.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BulkActionResponse,
  CancelResponse,
  DeadLettersResponse,
  DeleteDeadLettersResponse,
  ExecutionResponse,
  PauseResponse,
  PausesResponse,
  QueueStatusResponse,
  RedriveResponse,
  WorkflowsResponse,
} from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  type EventListener,
  type TestControlPlane,
} from '../support/control-plane.js';
import {
  killAllWorkers,
  newExecutionId,
  queueDepth,
  startWorker,
  waitForStatus,
  waitForTerminal,
} from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let stack: TestStack;
let cp: TestControlPlane;
let events: EventListener;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  const worker = startWorker(stack, {
    mode: 'thread',
    env: {
      WARDEN_EVENTS_ENDPOINT: cp.eventsEndpoint,
      WORKER_PAUSE_RECHECK_SECONDS: '1',
      WORKER_THREAD_POOL_SIZE: '3',
    },
  });
  await worker.online();
  events = await cp.listen();
}, 60_000);
afterAll(async () => {
  await killAllWorkers();
  await cp?.stop();
  await stack?.stop();
});

const submit = async (workflowId: string, input?: unknown): Promise<string> => {
  const response = await cp.api<ExecutionResponse>('POST', '/api/executions', {
    body: { workflowId, ...(input !== undefined ? { input } : {}) },
  });
  expect(response.status).toBe(202);
  return response.body.execution.executionId;
};

describe('every new route needs a token, an admin, and says which field is wrong', () => {
  const routes: {
    method: string;
    path: string;
    body?: unknown;
    bad?: { path?: string; body?: unknown; field: string };
  }[] = [
    {
      method: 'POST',
      path: '/api/platform/workflows/echo/pause',
      body: { reason: 'x' },
      bad: { body: { reason: '  ' }, field: 'reason' },
    },
    {
      method: 'POST',
      path: '/api/platform/workflows/echo/resume',
      bad: { path: '/api/platform/workflows/has%20space/resume', field: 'workflowId' },
    },
    { method: 'GET', path: '/api/platform/workflows/paused' },
    {
      method: 'POST',
      path: '/api/executions/e-1/cancel',
      bad: { path: '/api/executions/has%20space/cancel', field: 'executionId' },
    },
    {
      method: 'POST',
      path: '/api/executions/e-1/rerun',
      bad: { body: { executionId: 'has space' }, field: 'executionId' },
    },
    {
      method: 'POST',
      path: '/api/executions/bulk-cancel',
      body: { dryRun: true },
      bad: { body: { status: 'SUCCESS' }, field: 'status' },
    },
    {
      method: 'POST',
      path: '/api/executions/bulk-rerun',
      body: { dryRun: true },
      bad: { body: { errorType: 'Oops' }, field: 'errorType' },
    },
    { method: 'GET', path: '/api/platform/dead-letters' },
    {
      method: 'POST',
      path: '/api/platform/dead-letters/redrive',
      body: { messageIds: ['m'] },
      bad: { body: {}, field: 'messageIds' },
    },
    {
      method: 'POST',
      path: '/api/platform/dead-letters/delete',
      body: { messageIds: ['m'] },
      bad: { body: { messageIds: 'm' }, field: 'messageIds' },
    },
  ];

  it.each(routes)('$method $path', async ({ method, path, body, bad }) => {
    const anonymous = await cp.api(method, path, { body, token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');
    const viewer = await cp.api(method, path, { body, token: cp.nonAdminToken });
    expect(viewer.status).toBe(403);
    if (bad) {
      const wrong = await cp.api(method, bad.path ?? path, { body: bad.body ?? body ?? {} });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error?.field).toBe(bad.field);
      expect(wrong.body.error?.message).toContain(bad.field);
    }
  });

  it('refuses a redrive naming both messageIds and all', async () => {
    const both = await cp.api('POST', '/api/platform/dead-letters/redrive', {
      body: { messageIds: ['m'], all: true },
    });
    expect(both.status).toBe(400);
    expect(both.body.error?.field).toBe('messageIds');
  });
});

describe('pause and resume', () => {
  it('holds a paused workflow: submissions are accepted, neither run nor fail, and run after resume', async () => {
    const paused = await cp.api<PauseResponse>('POST', '/api/platform/workflows/echo/pause', {
      body: { reason: 'downstream maintenance' },
    });
    expect(paused.status).toBe(201);
    expect(paused.body.pause).toMatchObject({
      workflowId: 'echo',
      reason: 'downstream maintenance',
      pausedBy: 'local-admin',
    });
    const again = await cp.api('POST', '/api/platform/workflows/echo/pause', {
      body: { reason: 'twice' },
    });
    expect(again.status).toBe(409);

    const first = await submit('echo', { n: 1 });
    const second = await submit('echo', { n: 2 });
    // The worker sends each message back to wait. Four waits of the same message are more
    // deliveries than the dead-letter queue allows (3): a wait must not count as one.
    await waitFor(
      'four waits of the first message',
      () =>
        events.events.filter(
          ({ event }) =>
            event.type === 'queue_changed' &&
            event.change === 'deferred' &&
            event.executionId === first,
        ).length >= 4,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    for (const id of [first, second]) {
      const record = (await stack.repos.executions.get(id))!;
      expect(record.status).toBe('QUEUED');
      expect(record.startedAt).toBeUndefined();
    }
    const dead = await cp.api<DeadLettersResponse>('GET', '/api/platform/dead-letters');
    expect(dead.body.messages.filter((m) => m.executionId === first)).toEqual([]);

    // What waits, since when and by whom: in the queue panel, the catalog and the pause list.
    const queue = await cp.api<QueueStatusResponse>('GET', '/api/platform/queue');
    expect(queue.body.paused).toEqual([
      expect.objectContaining({ workflowId: 'echo', pausedBy: 'local-admin', waiting: 2 }),
    ]);
    const catalog = await cp.api<WorkflowsResponse>('GET', '/api/workflows');
    expect(catalog.body.workflows.find((w) => w.id === 'echo')?.paused).toMatchObject({
      reason: 'downstream maintenance',
      waiting: 2,
    });
    expect(catalog.body.workflows.find((w) => w.id === 'echo')?.blacklisted).toBe(false);
    const list = await cp.api<PausesResponse>('GET', '/api/platform/workflows/paused');
    expect(list.body.paused.map((p) => p.workflowId)).toEqual(['echo']);

    const resumedAt = Date.now();
    const resumed = await cp.api<PauseResponse>('POST', '/api/platform/workflows/echo/resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body.pause.pausedAt).toBe(paused.body.pause.pausedAt);
    for (const id of [first, second]) {
      const record = await waitForTerminal(stack, id);
      expect(record.status).toBe('SUCCESS');
      expect(record.attempt).toBe(1);
    }
    console.log(
      `both waiting executions finished ${Date.now() - resumedAt} ms after the resume (recheck 1 s, cache 0 s)`,
    );
    const notPaused = await cp.api('POST', '/api/platform/workflows/echo/resume');
    expect(notPaused.status).toBe(404);
    expect(notPaused.body.error?.code).toBe('NOT_PAUSED');
  });

  it('refuses to pause a workflow no worker offers', async () => {
    const unknown = await cp.api('POST', '/api/platform/workflows/nope/pause', {
      body: { reason: 'x' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('UNKNOWN_WORKFLOW');
  });
});

describe('cancel', () => {
  it('cancels a queued execution, which never starts, and acks its message', async () => {
    await cp.api('POST', '/api/platform/workflows/sleep/pause', { body: { reason: 'hold' } });
    const id = await submit('sleep', { ms: 10 });
    const cancelled = await cp.api<CancelResponse>('POST', `/api/executions/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.outcome).toBe('CANCELLED');
    expect(cancelled.body.execution).toMatchObject({ status: 'CANCELLED', errorType: 'Cancelled' });
    await cp.api('POST', '/api/platform/workflows/sleep/resume');
    // Its message arrives, finds the execution cancelled and is deleted: the queue empties.
    await waitFor('the queue to empty', async () => (await queueDepth(stack)) === 0, {
      timeoutMs: 20_000,
    });
    const record = (await stack.repos.executions.get(id))!;
    expect(record.status).toBe('CANCELLED');
    expect(record.startedAt).toBeUndefined();
    expect(
      events.events.some(
        ({ event }) => event.type === 'execution_started' && event.executionId === id,
      ),
    ).toBe(false);

    const again = await cp.api('POST', `/api/executions/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('EXECUTION_FINISHED');
  });

  it('cancels a running execution: its AbortSignal fires and it ends CANCELLED', async () => {
    const id = await submit('sleep', { ms: 60_000 });
    await events.next('execution_started', (e) => e.executionId === id);
    const cancelledAt = Date.now();
    const cancelling = await cp.api<CancelResponse>('POST', `/api/executions/${id}/cancel`);
    expect(cancelling.status).toBe(202);
    expect(cancelling.body.outcome).toBe('CANCELLING');
    expect(cancelling.body.execution.cancelRequestedBy).toBe('local-admin');
    const record = await waitForTerminal(stack, id);
    console.log(
      `a running execution was CANCELLED ${Date.now() - cancelledAt} ms after the request (command poll 0.5 s)`,
    );
    expect(record).toMatchObject({ status: 'CANCELLED', errorType: 'Cancelled' });
    expect(record.errorMessage).toContain('cancelled by local-admin');
    expect(record.durationMs).toBeLessThan(60_000);
  });

  it('runs the stuck ladder when a cancelled workflow ignores its AbortSignal', async () => {
    const id = await submit('ignore-cancel');
    await events.next('execution_started', (e) => e.executionId === id);
    const cancelling = await cp.api<CancelResponse>('POST', `/api/executions/${id}/cancel`);
    expect(cancelling.body.outcome).toBe('CANCELLING');
    // Well before its 10 s timeout: the cancel, not the timeout, started the ladder.
    const stuck = await events.next('execution_stuck', (e) => e.executionId === id, 9_000);
    expect(stuck.elapsedMs).toBeLessThan(10_000);
    const record = await waitForTerminal(stack, id);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'ExecutionStuck', attempt: 1 });
    expect(record.errorMessage).toContain('cancelled by local-admin');
    // A stuck execution is never retried, and its stuck row feeds the circuit breaker.
    const rows = await stack.repos.stuck.listSince(new Date(Date.now() - 60_000).toISOString());
    expect(rows.some((row) => row.executionId === id)).toBe(true);
  });

  it('answers 404 for an execution that does not exist', async () => {
    const missing = await cp.api('POST', '/api/executions/no-such-execution/cancel');
    expect(missing.status).toBe(404);
  });

  it('counts before a bulk cancel, then cancels exactly what matched', async () => {
    await cp.api('POST', '/api/platform/workflows/noop/pause', { body: { reason: 'bulk' } });
    const ids = [await submit('noop'), await submit('noop')];
    const counted = await cp.api<BulkActionResponse>('POST', '/api/executions/bulk-cancel', {
      body: { workflowId: 'noop', status: 'QUEUED', dryRun: true },
    });
    expect(counted.body).toMatchObject({ dryRun: true, matched: 2, truncated: false });
    expect(counted.body.executionIds.sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await stack.repos.executions.get(id))?.status).toBe('QUEUED');

    const done = await cp.api<BulkActionResponse>('POST', '/api/executions/bulk-cancel', {
      body: { workflowId: 'noop', status: 'QUEUED' },
    });
    expect(done.body.results?.map((r) => r.outcome)).toEqual(['CANCELLED', 'CANCELLED']);
    for (const id of ids) expect((await stack.repos.executions.get(id))?.status).toBe('CANCELLED');
    await cp.api('POST', '/api/platform/workflows/noop/resume');
  });
});

describe('retry policies', () => {
  it('retries a workflow that fails its first two attempts; attempt 3 succeeds', async () => {
    const catalog = await cp.api<WorkflowsResponse>('GET', '/api/workflows');
    expect(catalog.body.workflows.find((w) => w.id === 'flaky')?.retry).toEqual({
      attempts: 3,
      backoffSeconds: 1,
      backoffRate: 2,
    });
    const id = await submit('flaky', { succeedOnAttempt: 3 });
    const record = await waitForTerminal(stack, id, 40_000);
    expect(record).toMatchObject({ status: 'SUCCESS', attempt: 3 });
    expect(record.output).toEqual({ succeededOnAttempt: 3 });
    expect(record.attemptErrors?.map((a) => [a.attempt, a.errorType])).toEqual([
      [1, 'WorkflowError'],
      [2, 'WorkflowError'],
    ]);
    expect(record.attemptErrors?.[0]?.errorMessage).toContain('attempt 1 of 3 fails on purpose');
    expect(record.errorType).toBeUndefined();
  });

  it('gives up after the policy runs out, keeping every attempt error', async () => {
    const id = await submit('flaky', { succeedOnAttempt: 9 });
    const record = await waitForTerminal(stack, id, 40_000);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'WorkflowError', attempt: 3 });
    expect(record.attemptErrors?.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it('does not retry a workflow without a policy', async () => {
    const id = await submit('fail');
    const record = await waitForTerminal(stack, id);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'WorkflowError', attempt: 1 });
    expect(record.attemptErrors).toHaveLength(1);
  });
});

describe('rerun', () => {
  it('reruns an execution: same workflow and input, naming its original', async () => {
    const original = await submit('echo', { again: true });
    await waitForTerminal(stack, original);
    const rerun = await cp.api<ExecutionResponse>('POST', `/api/executions/${original}/rerun`);
    expect(rerun.status).toBe(202);
    expect(rerun.body.execution).toMatchObject({
      workflowId: 'echo',
      rerunOf: original,
      input: { again: true },
      status: 'QUEUED',
    });
    const record = await waitForTerminal(stack, rerun.body.execution.executionId);
    expect(record).toMatchObject({ status: 'SUCCESS', rerunOf: original });
    expect(record.output).toEqual({ echo: { again: true } });
  });

  it('refuses to rerun an execution that has not finished', async () => {
    const id = await submit('sleep', { ms: 30_000 });
    await waitForStatus(stack, id, 'RUNNING');
    const refused = await cp.api('POST', `/api/executions/${id}/rerun`);
    expect(refused.status).toBe(409);
    await cp.api('POST', `/api/executions/${id}/cancel`);
    await waitForTerminal(stack, id);
  });

  it('counts failed executions by filter before a bulk rerun, then reruns each', async () => {
    const from = new Date().toISOString();
    const failed = [await submit('fail'), await submit('fail')];
    for (const id of failed) await waitForTerminal(stack, id);
    const counted = await cp.api<BulkActionResponse>('POST', '/api/executions/bulk-rerun', {
      body: { workflowId: 'fail', errorType: 'WorkflowError', from, dryRun: true },
    });
    expect(counted.body.matched).toBe(2);
    expect(counted.body.executionIds.sort()).toEqual([...failed].sort());
    const done = await cp.api<BulkActionResponse>('POST', '/api/executions/bulk-rerun', {
      body: { workflowId: 'fail', errorType: 'WorkflowError', from },
    });
    expect(done.body.results).toHaveLength(2);
    for (const result of done.body.results!) {
      const record = await waitForTerminal(stack, result.newExecutionId!);
      expect(record.rerunOf).toBe(result.executionId);
    }
  });
});

describe('the dead-letter queue', () => {
  const deadLetter = async (body: unknown): Promise<string> =>
    (
      await stack.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: stack.deadLetterQueueUrl,
          MessageBody: JSON.stringify(body),
        }),
      )
    ).MessageId!;

  it('lists a dead letter, redrives it once, and it runs to SUCCESS', async () => {
    const executionId = newExecutionId('dl');
    const messageId = await deadLetter({ executionId, workflowId: 'echo', input: { back: 1 } });
    const listed = await cp.api<DeadLettersResponse>('GET', '/api/platform/dead-letters');
    expect(listed.status).toBe(200);
    const entry = listed.body.messages.find((m) => m.messageId === messageId);
    expect(entry).toMatchObject({ executionId, receiveCount: expect.any(Number) });
    expect(entry?.bodyPreview).toContain('"back":1');
    expect(Date.parse(entry!.firstSentAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(entry?.status).toBeUndefined();

    const redriven = await cp.api<RedriveResponse>('POST', '/api/platform/dead-letters/redrive', {
      body: { messageIds: [messageId] },
    });
    expect(redriven.body).toMatchObject({ method: 'copy', moved: [messageId], notFound: [] });
    const twice = await cp.api<RedriveResponse>('POST', '/api/platform/dead-letters/redrive', {
      body: { messageIds: [messageId] },
    });
    expect(twice.body).toMatchObject({ moved: [], notFound: [messageId] });
    const record = await waitForTerminal(stack, executionId);
    expect(record.status).toBe('SUCCESS');
    expect(record.output).toEqual({ echo: { back: 1 } });
  });

  it("shows a dead letter's execution state, and deletes it for good", async () => {
    const executionId = await submit('fail');
    await waitForTerminal(stack, executionId);
    const messageId = await deadLetter({ executionId, workflowId: 'fail' });
    const listed = await cp.api<DeadLettersResponse>('GET', '/api/platform/dead-letters');
    expect(listed.body.messages.find((m) => m.messageId === messageId)).toMatchObject({
      executionId,
      workflowId: 'fail',
      status: 'FAILED',
      errorType: 'WorkflowError',
    });
    const deleted = await cp.api<DeleteDeadLettersResponse>(
      'POST',
      '/api/platform/dead-letters/delete',
      { body: { messageIds: [messageId, 'not-there'] } },
    );
    expect(deleted.body).toEqual({ deleted: [messageId], notFound: ['not-there'] });
    const after = await cp.api<DeadLettersResponse>('GET', '/api/platform/dead-letters');
    expect(after.body.messages.some((m) => m.messageId === messageId)).toBe(false);
  });

  it('redrives everything with all: true', async () => {
    const ids = [newExecutionId('all'), newExecutionId('all')];
    for (const executionId of ids) await deadLetter({ executionId, workflowId: 'noop' });
    const redriven = await cp.api<RedriveResponse>('POST', '/api/platform/dead-letters/redrive', {
      body: { all: true },
    });
    expect(redriven.body.method).toBe('copy');
    expect(redriven.body.moved.length).toBeGreaterThanOrEqual(2);
    for (const executionId of ids) {
      expect((await waitForTerminal(stack, executionId)).status).toBe('SUCCESS');
    }
  });
});
