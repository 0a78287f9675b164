/**
 * The stuck ladder with real runaway code: a real `while (true) {}`, a promise that ignores its
 * signal, a thread parked in Atomics.wait, a heap that grows without end. Timeouts of 2 s and a
 * 1 s grace keep it to seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord, WorkerRecord } from '@warden/core';
import { isAlive } from '../support/processes.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  MODES,
  killAllWorkers,
  queueDepth,
  startWorker,
  submit,
  waitForStatus,
  waitForTerminal,
  type WorkerProcess,
} from '../support/worker-process.js';

const TIMEOUT_S = 2;
const GRACE_S = 1;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await killAllWorkers();
  await stack?.stop();
});

const runMs = (record: ExecutionRecord): number =>
  Date.parse(record.finishedAt!) - Date.parse(record.startedAt!);

describe.each(MODES)('stuck executions in %s mode', (mode) => {
  let worker: WorkerProcess;

  beforeAll(async () => {
    worker = startWorker(stack, { mode });
    await worker.online();
  });
  afterAll(async () => {
    await worker.stop();
  });

  it('fails cpu-spin, ignore-cancel and sync-block as ExecutionStuck soon after timeout + grace, with stuck records and no message left', async () => {
    const since = new Date().toISOString();
    const ids = await Promise.all(
      ['cpu-spin', 'ignore-cancel', 'sync-block'].map((workflowId) =>
        submit(stack, workflowId, { timeoutSeconds: TIMEOUT_S }),
      ),
    );
    const records = await Promise.all(ids.map((id) => waitForTerminal(stack, id, 20_000)));
    for (const record of records) {
      expect(record).toMatchObject({ status: 'FAILED', errorType: 'ExecutionStuck' });
      expect(record.errorMessage).toMatch(
        /did not respond to cancellation within the 1 s grace period: cancelled at its 2 s timeout, still running [\d.]+ s after it started/,
      );
      // Declared stuck at timeout + grace, give or take the time to write it down.
      expect(runMs(record)).toBeGreaterThanOrEqual((TIMEOUT_S + GRACE_S) * 1000 - 100);
      expect(runMs(record)).toBeLessThan((TIMEOUT_S + GRACE_S) * 1000 + 2500);
      const stuck = await stack.repos.stuck.listForWorkflow(record.workflowId, since);
      expect(stuck.map((row) => row.executionId)).toContain(record.executionId);
      const row = stuck.find((r) => r.executionId === record.executionId)!;
      expect(row.workerId).toBe(worker.workerId);
      expect(row.elapsedMs).toBeGreaterThanOrEqual((TIMEOUT_S + GRACE_S) * 1000 - 100);
    }
    await waitFor(
      'the stuck messages to leave the queue',
      async () => (await queueDepth(stack)) === 0,
    );
    // The runaway code is contained: its process is gone.
    for (const record of records) {
      await waitFor(`pid ${record.pid} to exit`, () => !isAlive(record.pid!), {
        timeoutMs: 10_000,
      });
    }
  });

  it('fails sleep that stops within the grace as ExecutionTimeout, not stuck', async () => {
    const since = new Date().toISOString();
    const id = await submit(stack, 'sleep', { input: { ms: 30_000 }, timeoutSeconds: TIMEOUT_S });
    const record = await waitForTerminal(stack, id, 15_000);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'ExecutionTimeout' });
    expect(record.errorMessage).toMatch(
      /exceeded its 2 s timeout and stopped [\d.]+ s after cancellation/,
    );
    expect(runMs(record)).toBeLessThan((TIMEOUT_S + GRACE_S) * 1000);
    expect(await stack.repos.stuck.listForWorkflow('sleep', since)).toEqual([]);
  });

  it('fails memory-hog alone as OutOfMemory; the executions beside it succeed', async () => {
    const neighbours = await Promise.all([
      submit(stack, 'slow-healthy', { input: { ms: 2500 } }),
      submit(stack, 'echo', { input: 'beside a hog' }),
    ]);
    const hog = await submit(stack, 'memory-hog');
    const record = await waitForTerminal(stack, hog, 30_000);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'OutOfMemory' });
    expect(record.errorMessage).toMatch(/heap limit of 64 MB/);
    for (const id of neighbours) {
      const neighbour = await waitForTerminal(stack, id);
      expect(neighbour).toMatchObject({ status: 'SUCCESS' });
      // In thread mode they shared the hog's pool process: only its thread went down.
      if (mode === 'thread') expect(neighbour.pid).toBe(record.pid);
    }
    const after = await submit(stack, 'echo', { input: 'after the hog' });
    expect(await waitForTerminal(stack, after)).toMatchObject({ status: 'SUCCESS' });
  });
});

describe('thread mode: a stuck execution drains its process, never its healthy neighbours', () => {
  let worker: WorkerProcess;

  beforeAll(async () => {
    // One execution per thread (the setting that turns sharing off): the healthy execution is on
    // another thread of the same process, so it finishes there while the process drains.
    worker = startWorker(stack, {
      mode: 'thread',
      env: { WORKER_THREAD_POOL_SIZE: '3', WORKER_EXECUTIONS_PER_THREAD: '1' },
    });
    await worker.online();
  });
  afterAll(async () => {
    await worker.stop();
  });

  it('keeps slow-healthy running to SUCCESS in the DRAINING process while a new generation takes the next executions', async () => {
    const first = await worker.online();
    const original = first.processes.find((p) => p.state === 'ACTIVE')!;
    // Long enough to outlast the stuck verdict, the drain and a next execution on a loaded machine.
    const healthy = await submit(stack, 'slow-healthy', { input: { ms: 12_000 } });
    await waitForStatus(stack, healthy, 'RUNNING');
    const spin = await submit(stack, 'cpu-spin', { timeoutSeconds: TIMEOUT_S });
    const stuck = await waitForTerminal(stack, spin, 15_000);
    expect(stuck).toMatchObject({
      status: 'FAILED',
      errorType: 'ExecutionStuck',
      pid: original.pid,
      generation: original.generation,
    });

    // The heartbeat shows the old process DRAINING with its healthy execution, and a new ACTIVE one.
    const fleet = await waitFor('the old process DRAINING beside a new ACTIVE one', async () => {
      const record: WorkerRecord | undefined = await stack.repos.workers.get(worker.workerId);
      const old = record?.processes.find((p) => p.pid === original.pid);
      const next = record?.processes.find((p) => p.state === 'ACTIVE');
      return old?.state === 'DRAINING' && next ? { old, next } : undefined;
    });
    expect(fleet.next.pid).not.toBe(original.pid);
    expect(fleet.next.generation).toBeGreaterThan(original.generation);
    expect(fleet.old.executions.map((e) => [e.workflowId, e.state]).sort()).toEqual([
      ['cpu-spin', 'STUCK'],
      ['slow-healthy', 'RUNNING'],
    ]);

    // New work goes to the new generation.
    const later = await submit(stack, 'echo', { input: 'next' });
    expect(await waitForTerminal(stack, later)).toMatchObject({
      status: 'SUCCESS',
      pid: fleet.next.pid,
      generation: fleet.next.generation,
    });
    expect(isAlive(original.pid)).toBe(true);

    // The healthy execution finishes where it started; only then does the old process exit.
    const done = await waitForTerminal(stack, healthy, 30_000);
    expect(done).toMatchObject({
      status: 'SUCCESS',
      pid: original.pid,
      generation: original.generation,
    });
    await waitFor('the drained process to exit', () => !isAlive(original.pid), {
      timeoutMs: 10_000,
    });
    const exitedAt = Date.now();
    expect(exitedAt).toBeGreaterThanOrEqual(Date.parse(done.finishedAt!));
    await waitFor('the worker record to drop the old process', async () => {
      const record = await stack.repos.workers.get(worker.workerId);
      return record && !record.processes.some((p) => p.pid === original.pid);
    });
  });
});
