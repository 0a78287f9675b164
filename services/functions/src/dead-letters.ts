/**
 * Dead-letter reconciliation, part of the circuit-breaker sweep. SQS moves a work message to the
 * dead-letter queue on its own, during a ReceiveMessage, after QUEUES.work.maxReceiveCount
 * receives — typically because the workers running it were killed each time. Nobody is told, so
 * the execution's record would stay RUNNING under an expired lease forever. The sweep peeks at the
 * dead-letter queue (leaving every message there for operators) and fails each such record as
 * WorkerLost with a message that says how to run it again.
 */
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { QUEUES, executionIdOf, workflowIdOf, type ExecutionRecord } from '@warden/core';
import type { ControlPlaneDeps } from './deps.js';

/** Bounds one sweep's reading: at most this many ReceiveMessage calls of 10 messages. */
export const DEAD_LETTER_BATCHES = 10;

export interface ReconciledExecution {
  executionId: string;
  workflowId: string;
  /** What the record was before: RUNNING (lease expired) or QUEUED (never claimed). */
  was: 'RUNNING' | 'QUEUED';
}

export function workerLostMessage(record: ExecutionRecord): string {
  const receives = QUEUES.work.maxReceiveCount;
  const lost =
    record.status === 'RUNNING'
      ? `The worker running this execution was lost ${record.attempt ?? 1} time(s)`
      : 'No worker claimed this execution';
  return `${lost}; SQS moved its message to the dead-letter queue after ${receives} receives. Redrive it from the dead-letter queue to run it again (the same execution id is claimed afresh).`;
}

/** Reads up to DEAD_LETTER_BATCHES batches without hiding them (visibility 0), each message once. */
export async function peekDeadLetters(deps: ControlPlaneDeps): Promise<Message[]> {
  const seen = new Map<string, Message>();
  for (let batch = 0; batch < DEAD_LETTER_BATCHES; batch++) {
    const result = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deps.config.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        // Visibility 0: the messages stay in the queue, visible to operators and redrives.
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = (result.Messages ?? []).filter(
      (message) => message.MessageId && !seen.has(message.MessageId),
    );
    // Visible messages come back again; a batch with nothing new means we have seen them all.
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId!, message);
  }
  return [...seen.values()];
}

/**
 * Fails, once, every execution whose message waits in the dead-letter queue while its record is
 * RUNNING under an expired lease, or QUEUED. A live lease, a terminal record, a missing record, a
 * record of another workflow than the message's and the worker's own copies of invalid messages
 * (already FAILED, tagged `warden.errorType`) are left as they are. Each write is conditional on the state read, so a redrive racing the sweep wins.
 */
export async function reconcileDeadLetters(deps: ControlPlaneDeps): Promise<ReconciledExecution[]> {
  const { repos, logger, publisher } = deps;
  const messages = await peekDeadLetters(deps);
  // Each (execution, workflow) pair once: a message is only ever about its own workflow's record.
  const claims = new Map<string, { executionId: string; workflowId: string | undefined }>();
  for (const message of messages) {
    if (message.MessageAttributes?.['warden.errorType']) continue;
    const executionId = executionIdOf(message);
    const workflowId = workflowIdOf(message);
    if (executionId) claims.set(`${executionId}\n${workflowId}`, { executionId, workflowId });
  }
  const reconciled: ReconciledExecution[] = [];
  for (const { executionId, workflowId } of claims.values()) {
    const record = await repos.executions.get(executionId);
    if (!record) continue;
    if (record.workflowId !== workflowId) {
      // A message that reuses another workflow's execution id says nothing about that execution.
      logger.warn(
        { executionId, workflowId: record.workflowId, messageWorkflowId: workflowId ?? null },
        `a dead-letter message names execution ${executionId} of workflow "${record.workflowId}" but is for ${workflowId ? `workflow "${workflowId}"` : 'no valid workflow'}; the record is left alone`,
      );
      continue;
    }
    const now = deps.clock();
    let observedLease: number | undefined;
    if (record.status === 'RUNNING') {
      if (record.leaseExpiresAt === undefined || record.leaseExpiresAt >= now) continue;
      observedLease = record.leaseExpiresAt;
    } else if (record.status !== 'QUEUED') {
      continue;
    }
    const failed = await repos.executions.failDeadLettered(
      executionId,
      record.workflowId,
      observedLease,
      workerLostMessage(record),
    );
    if (!failed) continue;
    const entry: ReconciledExecution = {
      executionId,
      workflowId: failed.workflowId,
      was: record.status,
    };
    reconciled.push(entry);
    logger.warn(
      { ...entry, attempt: record.attempt, workerId: record.workerId },
      `execution ${executionId} is in the dead-letter queue; recorded it FAILED (WorkerLost)`,
    );
    await publisher.publish({
      type: 'execution_finished',
      executionId,
      workflowId: failed.workflowId,
      workerId: record.workerId ?? 'none',
      status: 'FAILED',
      errorType: 'WorkerLost',
      ...(failed.durationMs !== undefined ? { durationMs: failed.durationMs } : {}),
    });
  }
  return reconciled;
}
