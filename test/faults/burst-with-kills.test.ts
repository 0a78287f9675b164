/**
 * A burst of 1,000 mixed executions — healthy, failing, about 2 % stuck (`while (true) {}`), about
 * 1 % invalid — into a fleet of workers in both modes while workers are killed (kill -9 of the
 * whole container: main process and everything it started) at random and restarted under a new id,
 * as ECS replaces a task. At least one worker always runs. Afterwards every execution must be
 * accounted for, none lost and none completed twice, and the counts are printed.
 *
 * The mix, the order and the kill schedule come from a seeded generator (WARDEN_FAULT_SEED to
 * replay one); what the assertions check does not depend on timing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  account,
  readAllDeadLetters,
  readCompletions,
  readRecords,
  waitForAllTerminal,
  writeAccountingWorkflows,
  type AccountingWorkflows,
  type Intent,
  type Kill,
  type Submitted,
} from '../support/accounting.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  killAllWorkers,
  queueDepth,
  startWorker,
  type Mode,
  type WorkerProcess,
} from '../support/worker-process.js';

const TOTAL = 1000;
const STUCK = 20;
const INVALID = 10;
const FAILING = 60;
/** The fleet: two thread-mode workers and one process-mode worker. */
const FLEET: Mode[] = ['thread', 'thread', 'process'];

const SEED = Number(process.env.WARDEN_FAULT_SEED ?? 20_260_701);

/** mulberry32: a small, well-mixed seeded generator. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

let stack: TestStack;
let controlPlane: TestControlPlane;
let root: string;
let workflows: AccountingWorkflows;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'warden-burst-'));
  workflows = writeAccountingWorkflows(root);
  stack = await startTestStack();
  // The circuit-breaker sweep runs on its schedule, as in production: besides blacklisting, it
  // records FAILED/WorkerLost an execution SQS dead-lettered because its last delivery died with
  // its worker. Its threshold is raised so that the burst's deliberate stuck executions do not
  // blacklist their workflow mid-burst (the breaker has suites of its own).
  await stack.repos.systemConfig.put(
    { stuck_circuit_breaker_threshold: 1000, stuck_circuit_breaker_window_minutes: 60 },
    'fault-suite',
  );
  controlPlane = await startControlPlane(stack, {
    schedule: true,
    env: { CIRCUIT_BREAKER_INTERVAL_SECONDS: '2' },
  });
});
afterAll(async () => {
  await killAllWorkers();
  await controlPlane?.stop();
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Planned {
  intent: Intent;
  executionId: string;
  body: string;
}

function plan(random: () => number): Planned[] {
  const intents: Intent[] = [
    ...Array<Intent>(STUCK).fill('stuck'),
    ...Array<Intent>(INVALID).fill('invalid'),
    ...Array<Intent>(FAILING).fill('failing'),
  ];
  while (intents.length < TOTAL) intents.push('healthy');
  // Fisher-Yates with the seeded generator.
  for (let i = intents.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [intents[i], intents[j]] = [intents[j]!, intents[i]!];
  }
  let invalidKind = 0;
  return intents.map((intent, index) => {
    const executionId = `burst-${index}-${randomBytes(3).toString('hex')}`;
    const ms = Math.floor(random() * 300);
    switch (intent) {
      case 'healthy':
        return {
          intent,
          executionId,
          body: JSON.stringify({ executionId, workflowId: 'acct-ok', input: { ms } }),
        };
      case 'failing':
        return {
          intent,
          executionId,
          body: JSON.stringify({ executionId, workflowId: 'acct-fail', input: { ms } }),
        };
      case 'stuck':
        return {
          intent,
          executionId,
          body: JSON.stringify({ executionId, workflowId: 'acct-spin', timeoutSeconds: 2 }),
        };
      case 'invalid': {
        // Three ways to be wrong: not JSON (recorded under the SQS MessageId), no workflowId,
        // and a workflow no worker knows.
        const kind = invalidKind++ % 3;
        const body =
          kind === 0
            ? `{"executionId": "${executionId}", not json`
            : kind === 1
              ? JSON.stringify({ executionId, input: { forgot: 'workflowId' } })
              : JSON.stringify({ executionId, workflowId: 'no-such-workflow' });
        return { intent, executionId, body };
      }
    }
  });
}

async function send(planned: Planned[]): Promise<Submitted[]> {
  const submitted: Submitted[] = [];
  for (let i = 0; i < planned.length; i += 10) {
    const batch = planned.slice(i, i + 10);
    const result = await stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queueUrl,
        Entries: batch.map((p, j) => ({ Id: String(j), MessageBody: p.body })),
      }),
    );
    expect(result.Failed ?? []).toEqual([]);
    for (const entry of result.Successful ?? []) {
      const p = batch[Number(entry.Id)]!;
      submitted.push({ executionId: p.executionId, intent: p.intent, messageId: entry.MessageId });
    }
  }
  return submitted;
}

it(`accounts for every one of ${TOTAL} mixed executions while workers are killed at random`, async () => {
  const random = seeded(SEED);
  const env = {
    ...workflows.workerEnv,
    WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
    CANCEL_GRACE_SECONDS: '1',
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '2',
    BLACKLIST_CACHE_SECONDS: '5',
    LOG_LEVEL: 'error',
  };
  const start = (mode: Mode): WorkerProcess => startWorker(stack, { mode, env });
  const fleet = FLEET.map(start);
  await Promise.all(fleet.map((worker) => worker.online()));

  const planned = plan(random);
  const startedAt = Date.now();
  const submitted = await send(planned);
  expect(submitted).toHaveLength(TOTAL);
  // Invalid messages are settled in the first seconds; the rest decide when the burst is over.
  const ids = submitted.filter((s) => s.intent !== 'invalid').map((s) => s.executionId);

  // Chaos: every 2-5 s kill -9 the whole tree of one worker that is online and start a
  // replacement of the same mode (a new task, a new id), until the burst has nearly drained
  // (and at least three times).
  const kills: Kill[] = [];
  const online = new Set<WorkerProcess>(fleet);
  const restarts: Promise<unknown>[] = [];
  let remaining = ids.length;
  while ((remaining > 50 || kills.length < 3) && Date.now() - startedAt < 150_000) {
    await sleep(2000 + random() * 3000);
    const candidates = fleet.filter((worker) => online.has(worker));
    const victim = candidates[Math.floor(random() * candidates.length)];
    if (victim && candidates.length > 1) {
      online.delete(victim);
      victim.killTree();
      kills.push({ workerId: victim.workerId, atMs: Date.now() });
      await victim.exited;
      const replacement = start(victim.mode);
      fleet[fleet.indexOf(victim)] = replacement;
      restarts.push(replacement.online(60_000).then(() => online.add(replacement)));
    }
    const records = await readRecords(stack, ids);
    remaining = ids.filter(
      (id) => !['SUCCESS', 'FAILED', 'CANCELLED'].includes(records.get(id)?.status ?? ''),
    ).length;
    console.log(
      `${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${kills.length} killed, ${remaining} of ${ids.length} not finished`,
    );
  }
  await Promise.all(restarts);

  const killedAt = new Map(kills.map((kill) => [kill.workerId, kill.atMs]));
  // Terminal, all of them: one the queue dead-lettered is recorded by the sweep.
  const records = await waitForAllTerminal(stack, ids, 180_000);
  for (const [id, record] of await readRecords(
    stack,
    submitted.filter((s) => s.intent === 'invalid').flatMap((s) => [s.executionId, s.messageId!]),
  )) {
    records.set(id, record);
  }
  await waitFor('the work queue to empty', async () => (await queueDepth(stack)) === 0, {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  const report = account({
    submitted,
    records,
    deadLetters: await readAllDeadLetters(stack),
    completions: readCompletions(workflows.logFile),
    kills,
  });
  const tookS = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(
    `burst (seed ${SEED}, ${kills.length} workers killed, drained in ${tookS} s): ${report.summary}`,
  );
  expect(report.problems).toEqual([]);
  expect(report.lost).toEqual([]);
  expect(report.completedTwice).toEqual([]);
  expect(kills.length).toBeGreaterThanOrEqual(3);
  expect(report.deadLettered).toBe(INVALID);
  // Each intent reached its own end (account() checked every execution; these are the totals),
  // unless the queue gave up on it because its last delivery died with its worker, or, sharing
  // a thread with a stuck one on that last delivery, it ended CollateralFailure.
  const exhausted = new Set([...report.deadLetteredByQueue, ...report.collateralExhausted]);
  const gaveUp = (intent: Intent): number =>
    submitted.filter((s) => s.intent === intent && exhausted.has(s.executionId)).length;
  expect(report.byOutcome.get('SUCCESS') ?? 0).toBe(
    TOTAL - STUCK - INVALID - FAILING - gaveUp('healthy'),
  );
  expect(report.byOutcome.get('FAILED/WorkflowError') ?? 0).toBe(FAILING - gaveUp('failing'));
  // A stuck one may also time out before it starts, queued behind a replacement pool process.
  expect(report.byOutcome.get('FAILED/ExecutionStuck') ?? 0).toBe(
    STUCK - gaveUp('stuck') - report.timedOutBeforeStart.length,
  );
  // Every stuck execution left a stuck record for the circuit breaker.
  const stuckRows = await stack.repos.stuck.listForWorkflow(
    'acct-spin',
    new Date(startedAt - 60_000).toISOString(),
  );
  const stuckIds = new Set(stuckRows.map((row) => row.executionId));
  const neverRan = new Set(report.timedOutBeforeStart);
  const withoutRow = submitted
    .filter(
      (s) => s.intent === 'stuck' && !exhausted.has(s.executionId) && !neverRan.has(s.executionId),
    )
    .filter((s) => !stuckIds.has(s.executionId))
    .map((s) => {
      const record = records.get(s.executionId)!;
      return `${s.executionId} (${record.status}/${record.errorType}, attempt ${record.attempt}, worker ${record.workerId}${killedAt.has(record.workerId ?? '') ? ', killed' : ''})`;
    });
  expect(withoutRow).toEqual([]);
});
