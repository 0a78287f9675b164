/**
 * Sharing a thread made safe, with real threads in a real thread-mode worker at its default
 * settings (executions share warm threads): an execution that blocks its thread — a real
 * `while (true) {}`, a real `Atomics.wait` — or overflows its heap is the only one blamed. The
 * healthy executions that shared its thread are collateral: sent back to the queue, run again on a
 * healthy thread, never recorded stuck, never seen by the circuit breaker. The blocked thread's
 * stack and the collateral are on the culprit's records; a workflow that blocked or overflowed a
 * thread runs alone afterwards, and a module can ask to run alone from the start.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideTrips, type ExecutionRecord } from '@warden/core';
import { SAMPLES_DIR } from '@warden/workflows';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  killAllWorkers,
  startWorker,
  submit,
  waitForTerminal,
  type WorkerProcess,
} from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

const TIMEOUT_S = 2;

let stack: TestStack;
let worker: WorkerProcess;
let workflowsDir: string;

beforeAll(async () => {
  stack = await startTestStack();
  workflowsDir = await mkdtemp(join(tmpdir(), 'warden-collateral-'));
  for (const sample of ['slow-healthy', 'cpu-spin', 'sync-block', 'memory-hog', 'echo']) {
    await copyFile(join(SAMPLES_DIR, `${sample}.mjs`), join(workflowsDir, `${sample}.mjs`));
  }
  await writeFile(
    join(workflowsDir, 'alone.mjs'),
    `import { setTimeout as sleep } from 'node:timers/promises';
export default {
  id: 'alone',
  isolation: 'thread',
  async run(input, ctx) {
    await sleep(Number(input?.ms ?? 1500), undefined, { signal: ctx.signal });
    return 'ran alone';
  },
};
`,
  );
  // Only the flag and the test timings: the thread settings are the defaults, which share.
  worker = startWorker(stack, { mode: 'thread', env: { WORKFLOWS_DIR: workflowsDir } });
  await worker.online();
});
afterAll(async () => {
  await worker?.stop();
  await killAllWorkers();
  await stack?.stop();
  if (workflowsDir) await rm(workflowsDir, { recursive: true, force: true });
});

/** Three healthy executions running side by side on one thread; returns their ids and thread. */
async function threeHealthyOnOneThread(ms: number) {
  const ids = await Promise.all(
    Array.from({ length: 3 }, () => submit(stack, 'slow-healthy', { input: { ms } })),
  );
  const running = await waitFor(
    'three healthy executions running with their thread known',
    async () => {
      const records = await Promise.all(ids.map((id) => stack.repos.executions.get(id)));
      return records.every((r) => r?.status === 'RUNNING' && r.threadId !== undefined)
        ? (records as ExecutionRecord[])
        : undefined;
    },
  );
  const threadId = running[0]!.threadId!;
  expect(running.map((r) => r.threadId)).toEqual([threadId, threadId, threadId]);
  return { ids, threadId, pid: running[0]!.pid! };
}

describe.each([
  ['cpu-spin', 'while (true) {}', /cpu-spin\.mjs/],
  ['sync-block', 'Atomics.wait', /sync-block\.mjs/],
])('a %s (%s) on the same thread as three healthy executions', (culpritId, _what, frame) => {
  it('is the only one stuck; the three end SUCCESS after a retry, with no stuck row and no breaker count', async () => {
    const since = new Date().toISOString();
    const healthy = await threeHealthyOnOneThread(4000);
    const culprit = await submit(stack, culpritId, { timeoutSeconds: TIMEOUT_S });

    const stuck = await waitForTerminal(stack, culprit, 20_000);
    expect(stuck).toMatchObject({
      status: 'FAILED',
      errorType: 'ExecutionStuck',
      threadId: healthy.threadId,
      pid: healthy.pid,
    });
    // Where it was stuck, read from the blocked thread, and who shared the thread.
    expect(stuck.stack?.[0]).toMatch(frame);
    expect(stuck.collateral?.map((c) => c.executionId).sort()).toEqual([...healthy.ids].sort());

    for (const id of healthy.ids) {
      const record = await waitForTerminal(stack, id, 30_000);
      expect(record).toMatchObject({ status: 'SUCCESS', attempt: 2 });
      // The retry ran on a healthy thread (thread ids count from 1 in each pool process).
      expect(`${record.pid}/${record.threadId}`).not.toBe(`${healthy.pid}/${healthy.threadId}`);
    }

    const rows = await stack.repos.stuck.listSince(since);
    expect(rows.map((row) => row.workflowId)).toEqual([culpritId]);
    expect(rows[0]).toMatchObject({ executionId: culprit, threadId: healthy.threadId });
    expect(rows[0]!.stack?.[0]).toMatch(frame);
    expect(rows[0]!.collateral?.map((c) => c.workflowId)).toEqual([
      'slow-healthy',
      'slow-healthy',
      'slow-healthy',
    ]);
    // What the circuit breaker decides from these rows, at a threshold of one: only the culprit.
    const trips = decideTrips({
      records: rows,
      counterResets: new Map(),
      alreadyBlacklisted: new Set(),
      config: { stuck_circuit_breaker_threshold: 1, stuck_circuit_breaker_window_minutes: 60 },
      now: Date.now(),
    });
    expect(trips.map((trip) => trip.workflowId)).toEqual([culpritId]);
  });
});

describe('a thread blocked longer than WORKER_THREAD_BLOCKED_SECONDS', () => {
  it('sends the neighbours back at once, long before the culprit times out', async () => {
    const early = startWorker(stack, {
      mode: 'thread',
      env: { WORKFLOWS_DIR: workflowsDir, WORKER_THREAD_BLOCKED_SECONDS: '1' },
    });
    try {
      await early.online();
      // The default worker takes no part: only this one polls while it runs.
      await worker.stop();
      const healthy = await threeHealthyOnOneThread(1500);
      const culprit = await submit(stack, 'cpu-spin', { timeoutSeconds: 8 });
      const retried = await Promise.all(healthy.ids.map((id) => waitForTerminal(stack, id)));
      const stuck = await waitForTerminal(stack, culprit, 30_000);
      expect(stuck).toMatchObject({ status: 'FAILED', errorType: 'ExecutionStuck' });
      expect(stuck.collateral?.map((c) => c.executionId).sort()).toEqual([...healthy.ids].sort());
      for (const record of retried) {
        expect(record).toMatchObject({ status: 'SUCCESS', attempt: 2 });
        // Done and recorded while the culprit still spun, before its 8 s timeout.
        expect(Date.parse(record.finishedAt!)).toBeLessThan(Date.parse(stuck.startedAt!) + 8000);
      }
    } finally {
      await early.stop();
      worker = startWorker(stack, { mode: 'thread', env: { WORKFLOWS_DIR: workflowsDir } });
      await worker.online();
    }
  });
});

describe('a heap overflow among healthy executions', () => {
  it('fails the hog alone as OutOfMemory naming its neighbours; they end in a retry, not STUCK', async () => {
    const since = new Date().toISOString();
    const healthy = await threeHealthyOnOneThread(3000);
    const hog = await submit(stack, 'memory-hog');
    const record = await waitForTerminal(stack, hog, 30_000);
    expect(record).toMatchObject({ status: 'FAILED', errorType: 'OutOfMemory' });
    expect(record.errorMessage).toMatch(/on the thread: .*slow-healthy/);
    expect(record.collateral?.map((c) => c.executionId).sort()).toEqual([...healthy.ids].sort());
    for (const id of healthy.ids) {
      expect(await waitForTerminal(stack, id, 30_000)).toMatchObject({
        status: 'SUCCESS',
        attempt: 2,
      });
    }
    expect(await stack.repos.stuck.listSince(since)).toEqual([]);

    // It overflowed a heap: within the breaker's window it runs alone, so it takes nobody down.
    const neighbours = await threeHealthyOnOneThread(2500);
    const again = await submit(stack, 'memory-hog');
    expect(await waitForTerminal(stack, again, 30_000)).toMatchObject({
      status: 'FAILED',
      errorType: 'OutOfMemory',
    });
    for (const id of neighbours.ids) {
      expect(await waitForTerminal(stack, id, 30_000)).toMatchObject({
        status: 'SUCCESS',
        attempt: 1,
        threadId: neighbours.threadId,
      });
    }
  });
});

describe("a module that declares isolation: 'thread'", () => {
  it('runs alone on a thread while others share one', async () => {
    const healthy = await threeHealthyOnOneThread(2500);
    const alone = await submit(stack, 'alone');
    const record = await waitForTerminal(stack, alone, 20_000);
    expect(record).toMatchObject({ status: 'SUCCESS', output: 'ran alone' });
    expect(record.threadId).not.toBe(healthy.threadId);
    for (const id of healthy.ids) {
      expect(await waitForTerminal(stack, id)).toMatchObject({ status: 'SUCCESS', attempt: 1 });
    }
  });
});
