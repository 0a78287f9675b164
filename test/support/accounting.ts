/**
 * Accounting for fault tests: every execution submitted must end with a terminal record (after
 * retries if need be) or in the dead-letter queue with a record saying why — none lost, none
 * completed twice.
 *
 * "Completed" is observed from the workflow's side: the accounting workflows written here append
 * `executionId attempt pid workerId threadId epochMs outcome` to a log file at the moment they
 * complete (O_APPEND, one short line, so concurrent writers never interleave). A second completion
 * of the same execution is legitimate only when the worker that completed it first was killed
 * before it could record the outcome (the retry then runs it again); anything else is a double
 * completion.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { QUEUES, TERMINAL_STATUSES, type ExecutionRecord } from '@warden/core';
import type { TestStack } from './stack.js';
import { waitFor } from './wait.js';

/** What the submitter meant to happen; decides which end states are acceptable. */
export type Intent = 'healthy' | 'failing' | 'stuck' | 'invalid';

export interface Submitted {
  executionId: string;
  intent: Intent;
  /** SQS MessageId (an invalid message without a usable executionId is recorded under it). */
  messageId?: string;
}

export interface Completion {
  executionId: string;
  attempt: number;
  pid: number;
  workerId: string;
  threadId: number;
  atMs: number;
  outcome: 'ok' | 'fail';
  line: string;
}

export interface DeadLetter {
  body: string;
  executionId?: string;
  errorType?: string;
  /** Sent by a worker with a reason (true), or moved there by the queue's redrive policy. */
  byWorker: boolean;
}

/** When a worker's whole process tree (or just its main process) was killed. */
export interface Kill {
  workerId: string;
  atMs: number;
}

// -------------------------------------------------------------------------------------------
// Workflows that log their completions

const completionModule = (id: string, logFile: string, fail: boolean): string => `
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';

export default {
  id: ${JSON.stringify(id)},
  timeoutSeconds: 60,
  async run(input, ctx) {
    const ms = Number(input?.ms ?? 0);
    if (ms > 0) await sleep(ms, undefined, { signal: ctx.signal });
    appendFileSync(
      ${JSON.stringify(logFile)},
      [ctx.executionId, ctx.attempt, process.pid, process.env.WORKER_ID ?? '-', threadId, Date.now(), ${JSON.stringify(fail ? 'fail' : 'ok')}].join(' ') + '\\n',
    );
    ${fail ? "throw new Error('failing on purpose, as asked');" : 'return { ok: true, pid: process.pid };'}
  },
};
`;

const SPIN_MODULE = `
/** Never yields: cancellation cannot reach it, so it ends ExecutionStuck. */
export default {
  id: 'acct-spin',
  timeoutSeconds: 60,
  run() {
    while (true) {}
  },
};
`;

export interface AccountingWorkflows {
  dir: string;
  logFile: string;
  /**
   * What a worker needs to run them: the folder, and WORKER_ID let through to runners (the
   * completions name the worker; runners see only the variables an operator allows).
   */
  workerEnv: { WORKFLOWS_DIR: string; WORKFLOW_ENV_ALLOW: string };
}

/**
 * Writes a WORKFLOWS_DIR with `acct-ok` (sleeps `input.ms`, logs, succeeds), `acct-fail` (sleeps,
 * logs, throws) and `acct-spin` (`while (true) {}`).
 */
export function writeAccountingWorkflows(root: string): AccountingWorkflows {
  const dir = join(root, 'workflows');
  mkdirSync(dir, { recursive: true });
  const logFile = join(root, 'completions.log');
  writeFileSync(logFile, '');
  writeFileSync(join(dir, 'acct-ok.mjs'), completionModule('acct-ok', logFile, false));
  writeFileSync(join(dir, 'acct-fail.mjs'), completionModule('acct-fail', logFile, true));
  writeFileSync(join(dir, 'acct-spin.mjs'), SPIN_MODULE);
  return { dir, logFile, workerEnv: { WORKFLOWS_DIR: dir, WORKFLOW_ENV_ALLOW: 'WORKER_ID' } };
}

export function readCompletions(logFile: string): Map<string, Completion[]> {
  const byExecution = new Map<string, Completion[]>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [executionId, attempt, pid, workerId, threadId, atMs, outcome] = line.split(' ');
    const completion: Completion = {
      executionId: executionId!,
      attempt: Number(attempt),
      pid: Number(pid),
      workerId: workerId!,
      threadId: Number(threadId),
      atMs: Number(atMs),
      outcome: outcome === 'fail' ? 'fail' : 'ok',
      line,
    };
    byExecution.set(completion.executionId, [
      ...(byExecution.get(completion.executionId) ?? []),
      completion,
    ]);
  }
  return byExecution;
}

// -------------------------------------------------------------------------------------------
// Reading the end state

/** Reads many execution records (consistent reads, 100 keys per request). */
export async function readRecords(
  stack: TestStack,
  executionIds: string[],
): Promise<Map<string, ExecutionRecord>> {
  const records = new Map<string, ExecutionRecord>();
  const unique = [...new Set(executionIds)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique
      .slice(i, i + 100)
      .map((executionId) => ({ executionId }));
    while (keys?.length) {
      const result: BatchGetCommandOutput = await stack.clients.dynamo.send(
        new BatchGetCommand({
          RequestItems: { [stack.tables.Executions]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      for (const item of result.Responses?.[stack.tables.Executions] ?? []) {
        const record = item as ExecutionRecord;
        records.set(record.executionId, record);
      }
      keys = result.UnprocessedKeys?.[stack.tables.Executions]?.Keys;
    }
  }
  return records;
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

/** Waits until every execution has a terminal record; returns the records. */
export async function waitForAllTerminal(
  stack: TestStack,
  executionIds: string[],
  timeoutMs: number,
  /** Also counts as settled (e.g. dead-lettered by the queue), for records not terminal. */
  settledOtherwise?: (executionId: string, record: ExecutionRecord | undefined) => Promise<boolean>,
): Promise<Map<string, ExecutionRecord>> {
  let latest = new Map<string, ExecutionRecord>();
  try {
    await waitFor(
      `${executionIds.length} executions to reach a terminal record`,
      async () => {
        latest = await readRecords(stack, executionIds);
        const open = executionIds.filter((id) => !TERMINAL.has(latest.get(id)?.status ?? ''));
        if (!open.length) return true;
        if (!settledOtherwise) return false;
        for (const id of open) if (!(await settledOtherwise(id, latest.get(id)))) return false;
        return true;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (error) {
    const open = executionIds.filter((id) => !TERMINAL.has(latest.get(id)?.status ?? ''));
    const sample = open
      .slice(0, 10)
      .map((id) => `${id}: ${latest.get(id)?.status ?? 'no record'}`)
      .join(', ');
    throw new Error(`${(error as Error).message}; ${open.length} not terminal (${sample})`, {
      cause: error,
    });
  }
  return latest;
}

/** Dead letters seen so far, per queue: a read hides them for a while, so later reads add to these. */
const deadLettersSeen = new Map<string, Map<string, Message>>();

/**
 * Reads every message in the dead-letter queue (none is deleted) and reports who put each there.
 * A read hides the messages for a minute, so the queue's messages seen by earlier calls are kept
 * and returned again.
 */
export async function readAllDeadLetters(stack: TestStack): Promise<DeadLetter[]> {
  const seen = deadLettersSeen.get(stack.deadLetterQueueUrl) ?? new Map<string, Message>();
  deadLettersSeen.set(stack.deadLetterQueueUrl, seen);
  let emptyPolls = 0;
  while (emptyPolls < 2) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = Messages.filter((message) => !seen.has(message.MessageId!));
    for (const message of fresh) seen.set(message.MessageId!, message);
    emptyPolls = fresh.length ? 0 : emptyPolls + 1;
  }
  return [...seen.values()].map((message) => {
    const attribute = (name: string): string | undefined =>
      message.MessageAttributes?.[`warden.${name}`]?.StringValue;
    let bodyId: string | undefined;
    try {
      const parsed = JSON.parse(message.Body ?? '') as { executionId?: unknown };
      if (typeof parsed?.executionId === 'string') bodyId = parsed.executionId;
    } catch {
      // Not JSON: only the attributes can name it.
    }
    return {
      body: message.Body ?? '',
      executionId: attribute('executionId') ?? bodyId,
      errorType: attribute('errorType'),
      byWorker: attribute('errorType') !== undefined,
    };
  });
}

// -------------------------------------------------------------------------------------------
// The verdict

export interface AccountingReport {
  submitted: number;
  /** "SUCCESS", "FAILED/WorkflowError", ... → count. */
  byOutcome: Map<string, number>;
  /** Terminal on an attempt after the first. */
  retried: number;
  /** Highest delivery attempt of any execution (the queue dead-letters after 3). */
  maxAttempt: number;
  /**
   * Moved to the dead-letter queue by the queue itself because its last allowed delivery died
   * with its worker; the circuit-breaker sweep then recorded it FAILED/WorkerLost, and the
   * message waits in the dead-letter queue for an operator to redrive it.
   */
  deadLetteredByQueue: string[];
  deadLettered: number;
  lost: string[];
  /** Completed more than once where that was not allowed. */
  completedTwice: string[];
  /** Completed again legitimately: the first completer was killed before it could record. */
  rerunAfterKill: string[];
  /**
   * Short-timeout executions that spent their whole timeout waiting for a pool process (one that
   * replaced a drained process was still starting) and ended ExecutionTimeout without running.
   */
  timedOutBeforeStart: string[];
  /**
   * Shared a thread with a stuck execution on its message's last delivery (earlier deliveries
   * died with their workers or were collateral too) and ended FAILED/CollateralFailure naming that
   * stuck execution: retried as far as the queue allows, never recorded stuck.
   */
  collateralExhausted: string[];
  /** Ended in a state its intent does not allow (e.g. a healthy execution FAILED). */
  unexpected: string[];
  problems: string[];
  summary: string;
}

const outcomeOf = (record: ExecutionRecord): string =>
  record.status === 'SUCCESS' ? 'SUCCESS' : `${record.status}/${record.errorType ?? '?'}`;

/** End states each intent may reach. */
export function allowedOutcomes(intent: Intent, extra: string[] = []): string[] {
  const base: Record<Intent, string[]> = {
    healthy: ['SUCCESS'],
    failing: ['FAILED/WorkflowError'],
    stuck: ['FAILED/ExecutionStuck'],
    invalid: ['FAILED/InvalidMessage', 'FAILED/UnknownWorkflow'],
  };
  return [...base[intent], ...extra];
}

/** ExecutionTimeout because no pool process was ready before the timeout: it never ran. */
export const isTimedOutBeforeStart = (record: ExecutionRecord): boolean =>
  record.status === 'FAILED' &&
  record.errorType === 'ExecutionTimeout' &&
  /never started/.test(record.errorMessage ?? '');

/** How many deliveries the work queue allows before its redrive policy dead-letters a message. */
export const MAX_DELIVERIES = QUEUES.work.maxReceiveCount;

/**
 * The queue gave up on it: a copy moved by the redrive policy sits in the dead-letter queue, and
 * its last allowed delivery was claimed by a worker that was killed. Its record is RUNNING under
 * that dead worker's lease until the circuit-breaker sweep reconciles it (`reconciled`: already
 * recorded FAILED/WorkerLost).
 */
export function isDeadLetteredByQueue(
  record: ExecutionRecord,
  letters: DeadLetter[],
  killedAt: Map<string, number>,
  reconciled = false,
): boolean {
  const state = reconciled
    ? record.status === 'FAILED' && record.errorType === 'WorkerLost'
    : record.status === 'RUNNING';
  return (
    state &&
    (record.attempt ?? 1) >= MAX_DELIVERIES &&
    killedAt.has(record.workerId ?? '') &&
    letters.some((letter) => !letter.byWorker)
  );
}

export function account(input: {
  submitted: Submitted[];
  records: Map<string, ExecutionRecord>;
  deadLetters: DeadLetter[];
  completions: Map<string, Completion[]>;
  kills: Kill[];
  /** Outcomes also acceptable for every intent (e.g. FAILED/WorkerLost when a runner is killed). */
  alsoAllowed?: string[];
}): AccountingReport {
  const { submitted, records, deadLetters, completions, kills } = input;
  const killedAt = new Map<string, number>();
  for (const kill of kills)
    killedAt.set(kill.workerId, Math.min(kill.atMs, killedAt.get(kill.workerId) ?? Infinity));
  const byOutcome = new Map<string, number>();
  const deadByExecution = new Map<string, DeadLetter[]>();
  for (const letter of deadLetters) {
    if (!letter.executionId) continue;
    deadByExecution.set(letter.executionId, [
      ...(deadByExecution.get(letter.executionId) ?? []),
      letter,
    ]);
  }
  const report: AccountingReport = {
    submitted: submitted.length,
    byOutcome,
    retried: 0,
    maxAttempt: 0,
    deadLetteredByQueue: [],
    deadLettered: 0,
    lost: [],
    completedTwice: [],
    rerunAfterKill: [],
    timedOutBeforeStart: [],
    collateralExhausted: [],
    unexpected: [],
    problems: [],
    summary: '',
  };
  const intentOf = new Map(submitted.map((item) => [item.executionId, item.intent]));
  const known = new Set<string>();
  for (const item of submitted) {
    const id = records.has(item.executionId) || !item.messageId ? item.executionId : item.messageId;
    known.add(id);
    const record = records.get(id);
    const letters = deadByExecution.get(id) ?? [];
    if (record && isDeadLetteredByQueue(record, letters, killedAt, true)) {
      report.deadLetteredByQueue.push(id);
      report.maxAttempt = Math.max(report.maxAttempt, record.attempt ?? 1);
      continue;
    }
    if (!record || !TERMINAL.has(record.status)) {
      report.lost.push(id);
      report.problems.push(
        `${id} (${item.intent}) is not accounted for: record ${record ? record.status : 'missing'}${letters.length ? `, ${letters.length} copy(ies) in the dead-letter queue` : ''}`,
      );
      continue;
    }
    const outcome = outcomeOf(record);
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    if ((record.attempt ?? 1) > 1) report.retried++;
    report.maxAttempt = Math.max(report.maxAttempt, record.attempt ?? 1);
    if (item.intent === 'stuck' && isTimedOutBeforeStart(record)) {
      report.timedOutBeforeStart.push(id);
    } else if (
      outcome === 'FAILED/CollateralFailure' &&
      intentOf.get(record.culprit?.executionId ?? '') === 'stuck' &&
      (record.attempt ?? 1) >= MAX_DELIVERIES
    ) {
      report.collateralExhausted.push(id);
    } else if (!allowedOutcomes(item.intent, input.alsoAllowed).includes(outcome)) {
      report.unexpected.push(id);
      report.problems.push(
        `${id} (${item.intent}) ended ${outcome}: ${record.errorMessage ?? ''} (attempt ${record.attempt}, worker ${record.workerId})`,
      );
    }
    if (item.intent === 'invalid') {
      if (letters.some((letter) => letter.byWorker)) report.deadLettered++;
      else
        report.problems.push(`${id} was invalid but no worker moved it to the dead-letter queue`);
    } else if (letters.length) {
      report.problems.push(
        `${id} (${item.intent}, ${outcome}) also has ${letters.length} copy(ies) in the dead-letter queue (${letters.map((l) => (l.byWorker ? l.errorType : 'redrive')).join(', ')})`,
      );
    }

    // Completions: at most one, unless every earlier completer was killed before recording.
    const done = (completions.get(id) ?? []).sort((a, b) => a.atMs - b.atMs);
    if (done.length > 1) {
      const earlier = done.slice(0, -1);
      const last = done.at(-1)!;
      const excused = earlier.every((c) => {
        const killed = killedAt.get(c.workerId);
        return killed !== undefined && killed >= c.atMs && c.workerId !== last.workerId;
      });
      const recordIsLast =
        record.workerId === last.workerId && (record.attempt ?? 1) === last.attempt;
      if (excused && recordIsLast) report.rerunAfterKill.push(id);
      else {
        report.completedTwice.push(id);
        report.problems.push(
          `${id} completed ${done.length} times: ${done.map((c) => c.line).join(' | ')}; record by ${record.workerId} attempt ${record.attempt}`,
        );
      }
    }
    if (done.length && record.status === 'SUCCESS' && item.intent === 'healthy') {
      const last = done.at(-1)!;
      if (record.workerId !== last.workerId) {
        report.problems.push(
          `${id} is SUCCESS by ${record.workerId} but its last completion was by ${last.workerId}`,
        );
      }
    }
    if (!done.length && (outcome === 'SUCCESS' || outcome === 'FAILED/WorkflowError')) {
      report.problems.push(`${id} is ${outcome} but the workflow never logged a completion`);
    }
  }
  for (const letter of deadLetters) {
    if (!letter.executionId || !known.has(letter.executionId)) {
      report.problems.push(
        `a dead-letter message names no submitted execution: ${letter.body.slice(0, 200)}`,
      );
    }
  }
  const parts = [...byOutcome.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, count]) => `${count} ${outcome}`);
  if (report.deadLetteredByQueue.length) {
    parts.push(
      `${report.deadLetteredByQueue.length} in the dead-letter queue after delivery ${MAX_DELIVERIES} died with its worker (recorded FAILED/WorkerLost by the sweep)`,
    );
  }
  const notes = [
    `${report.retried} on a retry, at most attempt ${report.maxAttempt}`,
    `${report.deadLettered} invalid ones in the dead-letter queue with their records`,
    ...(report.collateralExhausted.length
      ? [
          `${report.collateralExhausted.length} shared a thread with a stuck one on their last delivery (FAILED/CollateralFailure naming it)`,
        ]
      : []),
    ...(report.timedOutBeforeStart.length
      ? [
          `${report.timedOutBeforeStart.length} stuck ones timed out waiting for a pool process and never ran`,
        ]
      : []),
  ];
  report.summary =
    `${report.submitted} submitted: ${parts.join(', ')} (${notes.join('; ')}), ` +
    `${report.lost.length} lost, ${report.completedTwice.length} completed twice` +
    ` (${report.rerunAfterKill.length} run again because the worker that completed them was killed before recording)`;
  return report;
}
