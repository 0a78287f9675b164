/**
 * The worker end to end over the emulators, in both modes: real worker processes consume real SQS
 * messages, write real records and publish live events.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenEvent } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  MODES,
  killAllWorkers,
  newExecutionId,
  queueDepth,
  readDeadLetters,
  sendMessage,
  startEventSink,
  startWorker,
  submit,
  waitForTerminal,
  type EventSink,
  type WorkerProcess,
} from '../support/worker-process.js';

const MAX_INPUT_BYTES = 1024;

let stack: TestStack;
let sink: EventSink;
beforeAll(async () => {
  stack = await startTestStack();
  sink = await startEventSink(stack);
  await stack.repos.blacklist.add({
    workflowId: 'noop',
    reason: 'manual:refused in tests',
    blacklistedBy: 'tests',
  });
});
afterAll(async () => {
  await killAllWorkers();
  await sink?.stop();
  await stack?.stop();
});

const eventsFor = (executionId: string): WardenEvent[] =>
  sink.events.filter((event) => 'executionId' in event && event.executionId === executionId);

describe.each(MODES)('worker in %s mode', (mode) => {
  let worker: WorkerProcess;

  beforeAll(async () => {
    worker = startWorker(stack, {
      mode,
      env: { WARDEN_EVENTS_ENDPOINT: sink.url, MAX_INPUT_BYTES: String(MAX_INPUT_BYTES) },
    });
    await worker.online();
  });
  afterAll(async () => {
    await worker.stop();
  });

  it('registers itself with its main pid, mode, capacity and workflow catalog, and announces it', async () => {
    const record = await worker.online();
    expect(record).toMatchObject({ mode, mainPid: worker.pid, status: 'ONLINE', capacity: 4 });
    expect(record.workflows.map((w) => w.id)).toEqual(
      expect.arrayContaining(['echo', 'sleep', 'cpu-spin', 'memory-hog', 'sdk-io']),
    );
    expect(record.workflows.find((w) => w.id === 'echo')).toEqual({
      id: 'echo',
      name: 'Echo',
      timeoutSeconds: 30,
    });
    await waitFor('worker_online and a heartbeat event', () => {
      const online = sink.events.some(
        (e) => e.type === 'worker_online' && e.worker.workerId === worker.workerId,
      );
      const heartbeat = sink.events.some(
        (e) => e.type === 'worker_heartbeat' && e.workerId === worker.workerId && e.mode === mode,
      );
      return online && heartbeat;
    });
    if (mode === 'thread') {
      // The pool process is in the heartbeat from the start, and its birth was announced.
      expect(record.processes).toEqual([
        expect.objectContaining({ state: 'ACTIVE', generation: 1, jobsProcessed: 0 }),
      ]);
      expect(
        sink.events.some(
          (e) =>
            e.type === 'process_state_changed' &&
            e.workerId === worker.workerId &&
            e.from === null &&
            e.to === 'ACTIVE',
        ),
      ).toBe(true);
    }
  });

  it('runs echo to SUCCESS with its output, queue time and duration, and publishes it', async () => {
    const id = await submit(stack, 'echo', { input: { hello: 'world' } });
    const record = await waitForTerminal(stack, id);
    expect(record).toMatchObject({
      status: 'SUCCESS',
      workflowId: 'echo',
      output: { echo: { hello: 'world' } },
      attempt: 1,
      workerId: worker.workerId,
      logs: ['echoing input of attempt 1'],
    });
    expect(record.queueTimeMs).toBeGreaterThanOrEqual(0);
    expect(record.durationMs).toBeGreaterThan(0);
    expect(record.pid).toBeGreaterThan(0);
    if (mode === 'thread') expect(record.threadId).toBeGreaterThan(0);
    else expect(record.threadId).toBeUndefined();
    await waitFor('the execution events', () => eventsFor(id).length >= 3);
    expect(eventsFor(id).map((e) => e.type)).toEqual([
      'queue_changed',
      'execution_started',
      'execution_finished',
    ]);
    expect(eventsFor(id)[1]).toMatchObject({ pid: record.pid, attempt: 1 });
    expect(eventsFor(id)[2]).toMatchObject({ status: 'SUCCESS' });
    expect(await queueDepth(stack)).toBe(0);
  });

  it('records a workflow that throws as FAILED / WorkflowError with its message and logs', async () => {
    const id = await submit(stack, 'fail', { input: { message: 'the report has no rows' } });
    expect(await waitForTerminal(stack, id)).toMatchObject({
      status: 'FAILED',
      errorType: 'WorkflowError',
      errorMessage: 'Error: the report has no rows',
      logs: ['about to fail'],
    });
  });

  it('never runs a blacklisted workflow: FAILED / WorkflowBlacklisted and the message acked', async () => {
    const id = await submit(stack, 'noop');
    const record = await waitForTerminal(stack, id);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'WorkflowBlacklisted' });
    expect(record.errorMessage).toContain(
      'workflow "noop" is blacklisted (manual:refused in tests',
    );
    // It never started anywhere.
    expect(record.startedAt).toBeUndefined();
    expect(record.pid).toBeUndefined();
    expect(record.output).toBeUndefined();
    await waitFor('the refused message to be gone', async () => (await queueDepth(stack)) === 0);
    expect(eventsFor(id).map((e) => e.type)).not.toContain('execution_started');
  });

  it('moves invalid messages to the dead-letter queue with a FAILED record saying why', async () => {
    const notJson = await sendMessage(stack, 'this is not json');
    const noWorkflow = newExecutionId('noworkflow');
    await sendMessage(stack, { executionId: noWorkflow, input: 1 });
    const unknown = newExecutionId('unknown');
    await sendMessage(stack, { executionId: unknown, workflowId: 'no-such-workflow' });
    const oversized = newExecutionId('oversized');
    await sendMessage(stack, {
      executionId: oversized,
      workflowId: 'echo',
      input: 'x'.repeat(MAX_INPUT_BYTES + 10),
    });
    const expected = {
      [notJson]: ['InvalidMessage', /not valid JSON.*expected JSON \{"workflowId"/],
      [noWorkflow]: ['InvalidMessage', /workflowId: .*expected JSON/],
      [unknown]: ['UnknownWorkflow', /workflow "no-such-workflow" is not known.*echo/],
      [oversized]: ['InvalidMessage', /input is 1036 bytes of JSON; at most 1024.*MAX_INPUT_BYTES/],
    } as const;
    const letters = await readDeadLetters(stack, Object.keys(expected));
    for (const [id, [errorType, message]] of Object.entries(expected)) {
      const record = await waitForTerminal(stack, id);
      expect(record).toMatchObject({ status: 'FAILED', errorType });
      expect(record.errorMessage).toMatch(message);
      const letter = letters.get(id)!;
      expect(letter.MessageAttributes?.['warden.errorType']?.StringValue).toBe(errorType);
      expect(letter.MessageAttributes?.['warden.errorMessage']?.StringValue).toMatch(message);
    }
    expect(letters.get(notJson)!.Body).toBe('this is not json');
    await waitFor(
      'the invalid messages to leave the work queue',
      async () => (await queueDepth(stack)) === 0,
    );
  });

  it('runs a duplicate delivery once, whether the copy arrives while it runs or after', async () => {
    const id = newExecutionId('dup');
    const body = { executionId: id, workflowId: 'slow-healthy', input: { ms: 1500 } };
    await sendMessage(stack, body);
    await sendMessage(stack, body);
    const record = await waitForTerminal(stack, id);
    expect(record).toMatchObject({ status: 'SUCCESS', attempt: 1 });
    await sendMessage(stack, body);
    await waitFor('every copy to be consumed', async () => (await queueDepth(stack)) === 0, {
      timeoutMs: 30_000,
    });
    const started = eventsFor(id).filter((e) => e.type === 'execution_started');
    expect(started).toHaveLength(1);
    expect((await stack.repos.executions.get(id))?.finishedAt).toBe(record.finishedAt);
  });
});

describe('thread mode with several executions per thread', () => {
  it('runs I/O-bound executions side by side on one warm thread', async () => {
    const worker = startWorker(stack, {
      mode: 'thread',
      env: {
        WORKER_THREAD_POOL_SIZE: '1',
        WORKER_EXECUTIONS_PER_THREAD: '4',
        WORKER_MAX_CONCURRENCY: '4',
        WORKER_POOL_SEMI_SPACE_MB: '2',
      },
    });
    expect((await worker.online()).capacity).toBe(4);
    const ids = await Promise.all(
      Array.from({ length: 4 }, () => submit(stack, 'sdk-io', { input: { holdMs: 1500 } })),
    );
    const records = await Promise.all(ids.map((id) => waitForTerminal(stack, id)));
    for (const record of records) {
      expect(record).toMatchObject({ status: 'SUCCESS', pid: records[0]!.pid });
      expect(record.threadId).toBe(records[0]!.threadId);
      // It reached DynamoDB from inside the thread.
      expect((record.output as { tables: number }).tables).toBeGreaterThan(0);
    }
    // They overlapped: each started before any of them finished.
    const lastStart = Math.max(...records.map((r) => Date.parse(r.startedAt!)));
    const firstFinish = Math.min(...records.map((r) => Date.parse(r.finishedAt!)));
    expect(lastStart).toBeLessThan(firstFinish);
    // The pool process (and so its threads) got the young generation the setting asked for.
    const poolArgv = readFileSync(`/proc/${records[0]!.pid}/cmdline`, 'utf8').split('\0');
    expect(poolArgv).toContain('--max-semi-space-size=2');
    await worker.stop();
  });
});
