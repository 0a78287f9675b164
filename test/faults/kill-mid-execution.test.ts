/**
 * kill -9 in the middle of an execution, at each level of the worker: the orchestrator (the
 * container's main process), a thread-mode pool process, and a process-mode child; and a message
 * whose every delivery dies with its worker. Whatever dies, every execution ends accounted for:
 * retried to a terminal record by a replacement worker, recorded FAILED/WorkerLost when only its
 * runner died, or — once SQS gives up on it — in the dead-letter queue with a FAILED/WorkerLost
 * record; nothing runs twice and no process is left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DELIVERIES,
  account,
  readAllDeadLetters,
  readCompletions,
  waitForAllTerminal,
  writeAccountingWorkflows,
  type AccountingWorkflows,
  type Kill,
  type Submitted,
} from '../support/accounting.js';
import { startControlPlane } from '../support/control-plane.js';
import { descendants, isAlive } from '../support/processes.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  MODES,
  killAllWorkers,
  startWorker,
  submit,
  waitForStatus,
  type Mode,
  type WorkerProcess,
} from '../support/worker-process.js';

let stack: TestStack;
let root: string;
let workflows: AccountingWorkflows;

/** Short visibility so a dead worker's messages come back within seconds. */
const workerEnv = (): Record<string, string> => ({
  ...workflows.workerEnv,
  WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
  LOG_LEVEL: 'warn',
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'warden-kill-'));
  workflows = writeAccountingWorkflows(root);
  stack = await startTestStack();
});
afterAll(async () => {
  await killAllWorkers();
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function startOnline(mode: Mode): Promise<WorkerProcess> {
  const worker = startWorker(stack, { mode, env: workerEnv() });
  await worker.online();
  return worker;
}

/** Submits a slow healthy execution and waits until its runner (pid) is known. */
async function runningSlow(ms: number): Promise<{ id: string; pid: number }> {
  const id = await submit(stack, 'acct-ok', { input: { ms } });
  const record = await waitFor(`${id} to be placed on a runner`, async () => {
    const current = await waitForStatus(stack, id, 'RUNNING');
    return current.pid ? current : undefined;
  });
  return { id, pid: record.pid! };
}

function verdict(submitted: Submitted[], kills: Kill[], alsoAllowed: string[] = []) {
  return async () => {
    const records = await waitForAllTerminal(
      stack,
      submitted.map((s) => s.executionId),
      60_000,
    );
    const report = account({
      submitted,
      records,
      deadLetters: await readAllDeadLetters(stack),
      completions: readCompletions(workflows.logFile),
      kills,
      alsoAllowed,
    });
    console.log(report.summary);
    expect(report.problems).toEqual([]);
    return { report, records };
  };
}

describe.each(MODES)('kill -9 of the orchestrator in %s mode', (mode) => {
  it('its runners exit with it; a replacement worker retries the execution to SUCCESS exactly once', async () => {
    const first = await startOnline(mode);
    const quick = await submit(stack, 'acct-ok', { input: { ms: 50 } });
    await waitForStatus(stack, quick, 'SUCCESS');
    const slow = await runningSlow(6000);
    const runners = descendants(first.pid);
    expect(runners.length).toBeGreaterThan(0);
    expect(runners).toContain(slow.pid);

    // Only the main process: its pool process or child must notice and go by itself.
    process.kill(first.pid, 'SIGKILL');
    const kills: Kill[] = [{ workerId: first.workerId, atMs: Date.now() }];
    await first.exited;
    for (const pid of runners) {
      await waitFor(`runner ${pid} to exit after its orchestrator died`, () => !isAlive(pid), {
        timeoutMs: 10_000,
      });
    }

    // As ECS would: a new task (a new worker id) starts in its place.
    const second = await startOnline(mode);
    const { records } = await verdict(
      [
        { executionId: slow.id, intent: 'healthy' },
        { executionId: quick, intent: 'healthy' },
      ],
      kills,
    )();
    expect(records.get(slow.id)).toMatchObject({ status: 'SUCCESS', workerId: second.workerId });
    expect(records.get(slow.id)!.attempt).toBeGreaterThanOrEqual(2);
    const completions = readCompletions(workflows.logFile).get(slow.id) ?? [];
    expect(completions.map((c) => c.workerId)).toEqual([second.workerId]);
    await second.stop();
  });
});

describe('kill -9 of a pool process in thread mode', () => {
  it('fails only its executions as WorkerLost, starts the next generation, and the worker runs on', async () => {
    const worker = await startOnline('thread');
    const before = (await stack.repos.workers.get(worker.workerId))!.processes.find(
      (p) => p.state === 'ACTIVE',
    )!;
    const slow = await runningSlow(8000);
    expect(slow.pid).toBe(before.pid);

    process.kill(slow.pid, 'SIGKILL');
    const lost = await waitForStatus(stack, slow.id, 'FAILED');
    expect(lost.errorType).toBe('WorkerLost');
    expect(lost.errorMessage).toMatch(
      new RegExp(
        `pool process \\(pid ${slow.pid}, generation ${before.generation}\\) exited unexpectedly \\(signal SIGKILL\\)`,
      ),
    );
    expect(isAlive(worker.pid)).toBe(true);

    const next = await submit(stack, 'acct-ok', { input: { ms: 50 } });
    const { records } = await verdict(
      [
        { executionId: slow.id, intent: 'healthy' },
        { executionId: next, intent: 'healthy' },
      ],
      [],
      ['FAILED/WorkerLost'],
    )();
    expect(records.get(slow.id)!.status).toBe('FAILED');
    expect(records.get(next)).toMatchObject({ status: 'SUCCESS' });
    expect(records.get(next)!.pid).not.toBe(slow.pid);
    expect(records.get(next)!.generation).toBeGreaterThan(before.generation);
    // The killed execution never completed, and is not retried behind the record's back.
    expect(readCompletions(workflows.logFile).get(slow.id)).toBeUndefined();
    await worker.stop();
  });
});

describe('kill -9 of an execution child in process mode', () => {
  it('records WorkerLost for that execution only; the worker keeps taking work', async () => {
    const worker = await startOnline('process');
    const slow = await runningSlow(8000);
    const neighbour = await runningSlow(3000);
    expect(slow.pid).not.toBe(worker.pid);

    process.kill(slow.pid, 'SIGKILL');
    const lost = await waitForStatus(stack, slow.id, 'FAILED');
    expect(lost.errorType).toBe('WorkerLost');
    expect(lost.errorMessage).toMatch(
      new RegExp(`process \\(pid ${slow.pid}\\) exited \\(signal SIGKILL\\) before reporting`),
    );

    const next = await submit(stack, 'acct-ok', { input: { ms: 50 } });
    const { records } = await verdict(
      [
        { executionId: slow.id, intent: 'healthy' },
        { executionId: neighbour.id, intent: 'healthy' },
        { executionId: next, intent: 'healthy' },
      ],
      [],
      ['FAILED/WorkerLost'],
    )();
    expect(records.get(neighbour.id)).toMatchObject({ status: 'SUCCESS', pid: neighbour.pid });
    expect(records.get(next)).toMatchObject({ status: 'SUCCESS', workerId: worker.workerId });
    expect(readCompletions(workflows.logFile).get(slow.id)).toBeUndefined();
    await worker.stop();
  });
});

describe('a message whose every delivery dies with its worker', () => {
  it('ends in the dead-letter queue, and the circuit-breaker sweep records it FAILED/WorkerLost', async () => {
    const controlPlane = await startControlPlane(stack, {
      schedule: true,
      env: { CIRCUIT_BREAKER_INTERVAL_SECONDS: '1' },
    });
    try {
      const id = await submit(stack, 'acct-ok', { input: { ms: 60_000 } });
      const kills: Kill[] = [];
      for (let delivery = 1; delivery <= MAX_DELIVERIES; delivery++) {
        // A new task each time, as ECS would start after the last one died.
        const worker = await startOnline('process');
        await waitFor(
          `delivery ${delivery} of ${id} to run on ${worker.workerId}`,
          async () => {
            const record = await stack.repos.executions.get(id);
            return (
              record?.status === 'RUNNING' && record.workerId === worker.workerId && record.pid
            );
          },
          { timeoutMs: 30_000 },
        );
        worker.killTree();
        kills.push({ workerId: worker.workerId, atMs: Date.now() });
        await worker.exited;
      }
      // Its receives are spent: the next poll makes SQS move it to the dead-letter queue, and the
      // sweep, finding it there under a dead worker's lease, records why.
      const survivor = await startOnline('process');
      const record = await waitForStatus(stack, id, 'FAILED', 60_000);
      expect(record.errorType).toBe('WorkerLost');
      expect(record.attempt).toBe(MAX_DELIVERIES);
      expect(record.errorMessage).toMatch(/dead-letter queue/);
      const report = account({
        submitted: [{ executionId: id, intent: 'healthy' }],
        records: new Map([[id, record]]),
        deadLetters: await readAllDeadLetters(stack),
        completions: readCompletions(workflows.logFile),
        kills,
      });
      console.log(report.summary);
      expect(report.problems).toEqual([]);
      expect(report.deadLetteredByQueue).toEqual([id]);
      expect(readCompletions(workflows.logFile).get(id)).toBeUndefined();
      await survivor.stop();
    } finally {
      await controlPlane.stop();
    }
  });
});
