/**
 * The terminal paths of a message: an execution that finished, one that got stuck, one refused
 * because its workflow is blacklisted, and a message that cannot run at all. Each writes its
 * record first and only then lets go of the message, so nothing is lost if the worker dies in
 * between.
 */
import type { Message } from '@aws-sdk/client-sqs';
import {
  MAX_SQS_DELAY_SECONDS,
  WORKER_METRICS,
  iso,
  type EventInput,
  type EventPublisher,
  type Logger,
  type Repositories,
  type RetryPolicy,
  type WorkMessage,
} from '@warden/core';
import { resendBody, retryPlan } from './controls.js';
import type { ExecutionOutcome, Placement, StuckInfo } from './executors/index.js';
import type { Rejection } from './message-parser.js';
import type { WorkerMetrics } from './metrics.js';
import { withRetry } from './retry.js';
import type { WorkQueue } from './work-queue.js';

/** The dead-letter `warden.errorType` of a message that reuses another workflow's execution id. */
export const ID_CONFLICT = 'ExecutionIdConflict';

/** One claimed execution whose message this worker holds. */
export interface Flight {
  executionId: string;
  workflowId: string;
  receiptHandle: string;
  attempt: number;
  /**
   * How many times SQS has delivered this message (its receive count). Differs from `attempt`
   * for a retry, which is a fresh message carrying its attempt in the body.
   */
  deliveries: number;
  placement?: Placement;
  stuck: boolean;
  done: boolean;
  /** Its outcome is written: the lease and the message no longer need keeping. */
  recorded: boolean;
  /** Stops renewing the lease and the message's visibility. */
  stopRenewal(): void;
  /** Its retry policy, and the work as sent, to queue a retry. */
  workflow?: { retry?: RetryPolicy; idempotent?: boolean };
  work?: WorkMessage;
}

export interface Refusal {
  executionId: string;
  workflowId: string;
  queuedAt: string;
  attempt: number;
  input: unknown;
  errorMessage: string;
}

export interface OutcomeRecorderDeps {
  repos: Pick<Repositories, 'executions' | 'stuck'>;
  queue: WorkQueue;
  publisher: Pick<EventPublisher, 'publish'>;
  metrics: Pick<WorkerMetrics, 'emit'>;
  logger: Logger;
  workerId: string;
  /** Ends every retry (the shutdown deadline). */
  signal: AbortSignal;
  now?: () => number;
}

export class OutcomeRecorder {
  private readonly now: () => number;

  constructor(private readonly deps: OutcomeRecorderDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * STUCK: the stuck row, then the FAILED record, then renewal stops, then the message goes.
   * All of it happens before the executor kills anything.
   */
  async stuck(flight: Flight, info: StuckInfo): Promise<void> {
    const { repos, workerId, metrics, logger } = this.deps;
    const context = { executionId: flight.executionId, workflowId: flight.workflowId };
    const placement = info.placement ?? flight.placement;
    // The stuck row first: if the worker dies between the two writes, a terminal record without
    // its stuck row would hide this from the circuit breaker for good (the next delivery only
    // sees a finished execution), whereas a row without the record runs again and is counted
    // again only if it gets stuck again.
    await this.retry(
      'writing the stuck record',
      () =>
        repos.stuck.record({
          workflowId: flight.workflowId,
          executionId: flight.executionId,
          stuckAt: iso(this.now()),
          workerId,
          pid: placement?.pid,
          threadId: placement?.threadId,
          elapsedMs: info.elapsedMs,
          ...(info.stack?.length ? { stack: info.stack } : {}),
          ...(info.collateral?.length ? { collateral: info.collateral } : {}),
        }),
      context,
    );
    const record = await this.retry(
      'recording a stuck execution',
      () =>
        repos.executions.finish(flight.executionId, workerId, {
          status: 'FAILED',
          errorType: 'ExecutionStuck',
          errorMessage: info.message,
          logs: info.logs,
          attempt: flight.attempt,
          ...(placement ? { placement } : {}),
          stack: info.stack,
          collateral: info.collateral,
        }),
      context,
    );
    flight.recorded = true;
    flight.stopRenewal();
    // A stuck execution is not retried: its message goes, once the record says why.
    if (record) await this.deps.queue.delete(flight.receiptHandle, flight.executionId);
    else logger.warn(context, 'the lease was lost before the stuck execution could be recorded');
    this.publish({
      type: 'execution_stuck',
      executionId: flight.executionId,
      workflowId: flight.workflowId,
      workerId,
      pid: placement?.pid ?? 0,
      generation: placement?.generation ?? 0,
      elapsedMs: info.elapsedMs,
    });
    this.publish({
      type: 'execution_finished',
      executionId: flight.executionId,
      workflowId: flight.workflowId,
      workerId,
      status: 'FAILED',
      errorType: 'ExecutionStuck',
      durationMs: record?.durationMs,
    });
    metrics.emit(
      { [WORKER_METRICS.executionsStuck]: 1, [WORKER_METRICS.executionsFailed]: 1 },
      { ...context, errorType: 'ExecutionStuck', elapsedMs: info.elapsedMs },
    );
  }

  /** SUCCESS or FAILED: the record, then renewal stops, then the message goes. */
  async complete(
    flight: Flight,
    outcome: Extract<ExecutionOutcome, { status: 'SUCCESS' | 'FAILED' }>,
  ): Promise<void> {
    const { repos, workerId, metrics, logger } = this.deps;
    const context = { executionId: flight.executionId, workflowId: flight.workflowId };
    const placement = outcome.placement ?? flight.placement;
    if (outcome.status === 'FAILED' && flight.workflow && flight.work) {
      const plan = retryPlan(flight.workflow, flight.attempt, outcome.errorType);
      if (plan) return this.retryLater(flight, outcome, plan, flight.work);
    }
    // A cancel that the workflow obeyed within the grace period ends CANCELLED, not FAILED.
    const status =
      outcome.status === 'FAILED' && outcome.errorType === 'Cancelled'
        ? 'CANCELLED'
        : outcome.status;
    const record = await this.retry(
      'recording the outcome',
      () =>
        repos.executions.finish(flight.executionId, workerId, {
          ...(outcome.status === 'SUCCESS'
            ? { status: 'SUCCESS', output: outcome.output, logs: outcome.logs }
            : {
                status: status === 'CANCELLED' ? 'CANCELLED' : 'FAILED',
                errorType: outcome.errorType,
                errorMessage: outcome.errorMessage,
                logs: outcome.logs,
                collateral: outcome.collateral,
                culprit: outcome.culprit,
                attempt: flight.attempt,
              }),
          ...(placement ? { placement } : {}),
        }),
      context,
    );
    flight.recorded = true;
    flight.stopRenewal();
    if (!record) {
      // Another worker holds the execution now; deleting the message would take it from them.
      logger.warn(context, 'the lease was lost before the outcome could be recorded; discarded');
      return;
    }
    await this.deps.queue.delete(flight.receiptHandle, flight.executionId);
    const errorType = outcome.status === 'FAILED' ? outcome.errorType : undefined;
    this.publish({
      type: 'execution_finished',
      executionId: flight.executionId,
      workflowId: flight.workflowId,
      workerId,
      status,
      ...(errorType ? { errorType } : {}),
      durationMs: record.durationMs,
    });
    metrics.emit(
      {
        [status === 'SUCCESS'
          ? WORKER_METRICS.executionsSucceeded
          : WORKER_METRICS.executionsFailed]: 1,
        ...(record.durationMs !== undefined
          ? { [WORKER_METRICS.durationMs]: record.durationMs }
          : {}),
      },
      { ...context, ...(errorType ? { errorType } : {}) },
    );
    logger.info(
      { ...context, status, errorType, durationMs: record.durationMs },
      'execution finished',
    );
  }

  /**
   * A failed attempt its workflow's policy retries: the record goes back to QUEUED with the
   * attempt's error kept, then a message for the next attempt is sent with the backoff as its
   * delay, and only then is the held message deleted. A crash before the send leaves the held
   * message to reappear (and claim the QUEUED record); a crash after it leaves two messages of
   * one execution, which the conditional claim runs once.
   */
  private async retryLater(
    flight: Flight,
    outcome: Extract<ExecutionOutcome, { status: 'FAILED' }>,
    plan: { nextAttempt: number; delaySeconds: number },
    work: WorkMessage,
  ): Promise<void> {
    const { repos, workerId, logger, queue } = this.deps;
    const context = {
      executionId: flight.executionId,
      workflowId: flight.workflowId,
      attempt: flight.attempt,
    };
    const dueAt = this.now() + plan.delaySeconds * 1000;
    const record = await this.retry(
      'queueing a retry',
      () =>
        repos.executions.requeueForRetry(flight.executionId, workerId, {
          failedAttempt: flight.attempt,
          errorType: outcome.errorType,
          errorMessage: outcome.errorMessage,
          retryAt: iso(dueAt),
          logs: outcome.logs,
          ...((outcome.placement ?? flight.placement)
            ? { placement: outcome.placement ?? flight.placement }
            : {}),
        }),
      context,
    );
    flight.recorded = true;
    flight.stopRenewal();
    if (!record) {
      logger.warn(context, 'the lease was lost before the retry could be recorded; discarded');
      return;
    }
    // Beyond SQS's 900-second delay the body carries when it is due; an early arrival waits again.
    const notBefore = plan.delaySeconds > MAX_SQS_DELAY_SECONDS ? dueAt : undefined;
    await queue.resend(
      flight.receiptHandle,
      resendBody(work, flight.executionId, plan.nextAttempt, notBefore),
      plan.delaySeconds,
    );
    this.publish({
      type: 'queue_changed',
      change: 'retry_scheduled',
      executionId: flight.executionId,
      workflowId: flight.workflowId,
    });
    logger.info(
      {
        ...context,
        errorType: outcome.errorType,
        nextAttempt: plan.nextAttempt,
        retryAt: iso(dueAt),
      },
      'attempt failed; retry queued',
    );
  }

  /** A blacklisted workflow: FAILED/WorkflowBlacklisted, then the message goes. */
  async refuse(message: Message, refusal: Refusal): Promise<void> {
    const { repos, metrics, logger, workerId } = this.deps;
    const context = { executionId: refusal.executionId, workflowId: refusal.workflowId };
    const recorded = await this.retry(
      'recording a refused execution',
      () => repos.executions.failUnrun({ ...refusal, errorType: 'WorkflowBlacklisted' }),
      context,
    );
    if (!recorded) {
      const owner = await this.ownerOf(refusal.executionId, refusal.workflowId, context);
      if (owner) {
        await this.conflict(message, refusal.executionId, refusal.workflowId, owner);
        return;
      }
    }
    await this.deps.queue.delete(message.ReceiptHandle!, refusal.executionId);
    this.publish({ type: 'queue_changed', change: 'refused', ...context });
    this.publish({
      type: 'execution_finished',
      ...context,
      workerId,
      status: 'FAILED',
      errorType: 'WorkflowBlacklisted',
    });
    metrics.emit(
      { [WORKER_METRICS.executionsFailed]: 1 },
      { ...context, errorType: 'WorkflowBlacklisted' },
    );
    logger.info(context, 'refused an execution of a blacklisted workflow');
  }

  /**
   * A message whose execution id names an execution of another workflow: it goes to the
   * dead-letter queue with the reason, and that execution's record is left exactly as it is.
   */
  async conflict(
    message: Message,
    executionId: string,
    workflowId: string,
    ownerWorkflowId: string,
  ): Promise<void> {
    const { logger, workerId, queue } = this.deps;
    const reason = `execution id "${executionId}" belongs to an execution of workflow "${ownerWorkflowId}", but this message is for workflow "${workflowId}"; it was not run and that execution was left as it is. Send it again with a new execution id.`;
    await queue.deadLetter(message.Body || '(empty body)', {
      'warden.errorType': ID_CONFLICT,
      'warden.errorMessage': reason.slice(0, 1000),
      'warden.executionId': executionId,
      'warden.sourceMessageId': message.MessageId ?? 'unknown',
      'warden.workerId': workerId,
    });
    await queue.delete(message.ReceiptHandle!, executionId);
    logger.warn(
      { executionId, workflowId, ownerWorkflowId, reason },
      "moved a message that reuses another workflow's execution id to the dead-letter queue",
    );
  }

  /** Records why a message is invalid, sends a copy to the dead-letter queue, deletes it. */
  async deadLetter(
    message: Message,
    rejection: Rejection,
    queuedAt: string,
    attempt: number,
  ): Promise<void> {
    const { repos, metrics, logger, workerId, queue } = this.deps;
    const context = { executionId: rejection.executionId, workflowId: rejection.workflowId };
    const recorded = await this.retry(
      'recording an invalid message',
      () =>
        repos.executions.failUnrun({
          executionId: rejection.executionId,
          workflowId: rejection.workflowId,
          errorType: rejection.errorType,
          errorMessage: rejection.errorMessage,
          queuedAt,
          attempt,
          input: rejection.input,
        }),
      context,
    );
    // Not recorded: the id may name another workflow's execution, which must stay as it is.
    const owner = recorded
      ? undefined
      : await this.ownerOf(rejection.executionId, rejection.workflowId, context);
    const errorMessage = owner
      ? `${rejection.errorMessage}; execution id "${rejection.executionId}" belongs to an execution of workflow "${owner}", which was left as it is`
      : rejection.errorMessage;
    await queue.deadLetter(message.Body || '(empty body)', {
      'warden.errorType': rejection.errorType,
      'warden.errorMessage': errorMessage.slice(0, 1000),
      'warden.executionId': rejection.executionId,
      'warden.sourceMessageId': message.MessageId ?? 'unknown',
      'warden.workerId': workerId,
    });
    await queue.delete(message.ReceiptHandle!, rejection.executionId);
    if (!owner) {
      this.publish({ type: 'queue_changed', change: 'dead_lettered', ...context });
      this.publish({
        type: 'execution_finished',
        ...context,
        workerId,
        status: 'FAILED',
        errorType: rejection.errorType,
      });
      metrics.emit(
        { [WORKER_METRICS.executionsFailed]: 1 },
        { ...context, errorType: rejection.errorType },
      );
    }
    logger.warn(
      { ...context, errorType: rejection.errorType, reason: errorMessage },
      'moved an invalid message to the dead-letter queue',
    );
  }

  /** The workflow that owns `executionId` when it is not `workflowId`, else undefined. */
  private async ownerOf(
    executionId: string,
    workflowId: string,
    context: Record<string, unknown>,
  ): Promise<string | undefined> {
    const existing = await this.retry(
      'reading an execution',
      () => this.deps.repos.executions.get(executionId),
      context,
    );
    return existing && existing.workflowId !== workflowId ? existing.workflowId : undefined;
  }

  private retry<T>(what: string, call: () => Promise<T>, context: Record<string, unknown>) {
    return withRetry(what, call, { logger: this.deps.logger, signal: this.deps.signal, context });
  }

  private publish(event: EventInput): void {
    void this.deps.publisher.publish(event);
  }
}
