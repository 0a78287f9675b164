/**
 * The backend goes away for 20 s and comes back: first DynamoDB, then SQS. The workers (one per
 * mode) reach both through a TCP proxy that refuses connections and cuts open ones while "down";
 * the emulators behind keep their state, as a real service does after an outage. (Restarting the
 * embedded SQS emulator itself would lose every message: fauxqs keeps no state across restarts,
 * which no real queue does.) Executions running, queued or submitted during the outage must all
 * end accounted for once it is over, none completed twice, and the workers must carry on without
 * a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  account,
  readAllDeadLetters,
  readCompletions,
  waitForAllTerminal,
  writeAccountingWorkflows,
  type AccountingWorkflows,
  type Submitted,
} from '../support/accounting.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  killAllWorkers,
  queueDepth,
  startWorker,
  submit,
  waitForStatus,
  type WorkerProcess,
} from '../support/worker-process.js';

const OUTAGE_MS = 20_000;

let stack: TestStack;
let root: string;
let workflows: AccountingWorkflows;
let dynamo: FaultProxy;
let sqs: FaultProxy;
let workers: WorkerProcess[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'warden-outage-'));
  workflows = writeAccountingWorkflows(root);
  stack = await startTestStack();
  dynamo = FaultProxy.for(stack.endpoints.dynamodb);
  sqs = FaultProxy.for(stack.endpoints.sqs);
  await Promise.all([dynamo.up(), sqs.up()]);
  workers = (['thread', 'process'] as const).map((mode) =>
    startWorker(stack, {
      mode,
      env: {
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
        AWS_ENDPOINT_URL_SQS: sqs.url,
        ...workflows.workerEnv,
        WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
        LOG_LEVEL: 'warn',
      },
    }),
  );
  await Promise.all(workers.map((worker) => worker.online()));
});
afterAll(async () => {
  await killAllWorkers();
  await dynamo?.down();
  await sqs?.down();
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Healthy executions long enough to be running when the outage starts. */
async function startRunning(count: number, ms: number): Promise<Submitted[]> {
  const ids = await Promise.all(
    Array.from({ length: count }, () => submit(stack, 'acct-ok', { input: { ms } })),
  );
  await Promise.all(ids.map((id) => waitForStatus(stack, id, 'RUNNING', 30_000)));
  return ids.map((executionId) => ({ executionId, intent: 'healthy' }));
}

async function settle(submitted: Submitted[], label: string): Promise<void> {
  const records = await waitForAllTerminal(
    stack,
    submitted.map((s) => s.executionId),
    120_000,
  );
  // Every copy of every message is gone (deleted, or dead-lettered) before the books are read.
  await waitFor('the work queue to empty', async () => (await queueDepth(stack)) === 0, {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  const report = account({
    submitted,
    records,
    deadLetters: await readAllDeadLetters(stack),
    completions: readCompletions(workflows.logFile),
    kills: [],
  });
  console.log(`${label}: ${report.summary}`);
  expect(report.problems).toEqual([]);
  expect(report.lost).toEqual([]);
  expect(report.completedTwice).toEqual([]);
  for (const worker of workers) {
    expect(worker.child.exitCode).toBeNull();
  }
}

/** The workers are alive and write heartbeats again after `sinceMs`. */
async function heartbeatsResume(sinceMs: number): Promise<void> {
  for (const worker of workers) {
    await waitFor(
      `${worker.workerId} to heartbeat again`,
      async () => {
        const record = await stack.repos.workers.get(worker.workerId);
        return record && Date.parse(record.lastHeartbeatAt) > sinceMs;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }
}

describe('backend outages of 20 s', () => {
  it('DynamoDB down: running executions record their outcome when it returns; messages sent meanwhile all run afterwards', async () => {
    const running = await startRunning(4, 4000);
    await dynamo.down();
    const downAt = Date.now();
    const during: Submitted[] = [];
    // Producers still reach SQS: work keeps arriving for the whole outage.
    while (Date.now() - downAt < OUTAGE_MS) {
      during.push({
        executionId: await submit(stack, 'acct-ok', { input: { ms: 100 } }),
        intent: 'healthy',
      });
      if (during.length % 4 === 0) {
        during.push({
          executionId: await submit(stack, 'acct-fail', { input: { ms: 10 } }),
          intent: 'failing',
        });
      }
      await sleep(1000);
    }
    await dynamo.up();
    const upAt = Date.now();
    await settle([...running, ...during], 'DynamoDB outage');
    // They finished during the outage; their outcome could only be written once it was over.
    for (const { executionId } of running) {
      const record = await stack.repos.executions.get(executionId);
      expect(Date.parse(record!.finishedAt!)).toBeGreaterThan(upAt - 5000);
    }
    await heartbeatsResume(upAt);
  });

  it('SQS down: executions finish and record during it, their messages are deleted when it returns, and receiving resumes', async () => {
    const running = await startRunning(4, 3000);
    // Queued before the outage, received only once it is over.
    const queued: Submitted[] = [];
    for (let i = 0; i < 6; i++) {
      queued.push({
        executionId: await submit(stack, 'acct-ok', { input: { ms: 100 } }),
        intent: 'healthy',
      });
    }
    await sqs.down();
    const downAt = Date.now();
    // The running ones finish while SQS is away; their records do not wait for it.
    await waitForAllTerminal(
      stack,
      running.map((s) => s.executionId),
      OUTAGE_MS - 2000,
    );
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    await sqs.up();
    const upAt = Date.now();
    const after: Submitted[] = [];
    for (let i = 0; i < 4; i++) {
      after.push({
        executionId: await submit(stack, 'acct-ok', { input: { ms: 100 } }),
        intent: 'healthy',
      });
    }
    await settle([...running, ...queued, ...after], 'SQS outage');
    await heartbeatsResume(upAt);
  });
});
