/**
 * What the consumer needs for the operator controls: which attempt a message carries, how a
 * message is sent back to wait (a paused workflow, a backoff longer than SQS's delay ceiling, a
 * retry), and whether a failure is retried.
 *
 * Waiting is a re-send, not a visibility change: the worker sends a copy of the message (same
 * execution id, same attempt) with a delay and deletes the one it holds. A visibility change would
 * count every look at a paused message towards the dead-letter queue's receive limit; a fresh
 * message starts its receive count from zero.
 */
import {
  retriesAfter,
  retryDelaySeconds,
  type ErrorType,
  type RetryPolicy,
  type WorkMessage,
} from '@warden/core';

/**
 * The attempt a delivery runs as: the attempt its body carries (1 when absent) plus the earlier
 * deliveries of this very message (a worker lost while running it).
 */
export const messageAttempt = (work: Pick<WorkMessage, 'attempt'>, receiveCount: number): number =>
  (work.attempt ?? 1) + Math.max(0, receiveCount - 1);

/** The body of a re-sent message: the execution id made explicit, attempt and notBefore set. */
export function resendBody(
  work: WorkMessage,
  executionId: string,
  attempt: number,
  notBefore?: number,
): string {
  const body: WorkMessage = {
    executionId,
    workflowId: work.workflowId,
    ...(work.input !== undefined ? { input: work.input } : {}),
    ...(work.timeoutSeconds !== undefined ? { timeoutSeconds: work.timeoutSeconds } : {}),
    ...(attempt > 1 ? { attempt } : {}),
    ...(notBefore !== undefined ? { notBefore } : {}),
  };
  return JSON.stringify(body);
}

/** When a failed attempt is retried, and after how long; undefined when it is not. */
export function retryPlan(
  workflow: { retry?: RetryPolicy; idempotent?: boolean },
  attempt: number,
  errorType: ErrorType,
): { nextAttempt: number; delaySeconds: number } | undefined {
  const policy = workflow.retry;
  if (!policy || !retriesAfter(workflow, attempt, errorType)) return undefined;
  const nextAttempt = attempt + 1;
  return { nextAttempt, delaySeconds: retryDelaySeconds(policy, nextAttempt) };
}
