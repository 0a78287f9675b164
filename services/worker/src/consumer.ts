/**
 * SQS consumption: receive only as many messages as there is capacity for, hand each to the
 * parser, refuse blacklisted workflows, claim the execution with a conditional write (so a
 * duplicate delivery never runs twice), hand it to the executor and keep the message invisible
 * and the lease alive while it runs. The terminal paths (records, then the message) live in
 * `OutcomeRecorder`, the queue calls in `WorkQueue`, the message rules in `parseMessage`.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import {
  QUEUES,
  WORKER_METRICS,
  backoffMs,
  isTerminal,
  type EventInput,
  type ExecutionStatus,
  type EventPublisher,
  type Logger,
  type Repositories,
  type WorkerConfig,
  type WorkerMode,
  type WorkflowPause,
} from '@warden/core';
import { BlacklistCache } from './blacklist-cache.js';
import { messageAttempt, resendBody } from './controls.js';
import type { WorkflowCatalog } from './catalog.js';
import type { ExecutionOutcome, Executor, Placement } from './executors/index.js';
import { attemptOf, parseMessage, queuedAtOf, type ParsedWork } from './message-parser.js';
import type { WorkerMetrics } from './metrics.js';
import { OutcomeRecorder, type Flight } from './outcome-recorder.js';
import { delay, withRetry } from './retry.js';
import type { WorkQueue } from './work-queue.js';

export interface ConsumerDeps {
  config: WorkerConfig;
  queue: WorkQueue;
  repos: Pick<Repositories, 'executions' | 'stuck' | 'blacklist' | 'pauses'>;
  executor: Pick<Executor, 'freeSlots' | 'execute'>;
  catalog: Pick<WorkflowCatalog, 'get' | 'ids'>;
  publisher: Pick<EventPublisher, 'publish'>;
  metrics: Pick<WorkerMetrics, 'emit'>;
  logger: Logger;
  workerId: string;
  mode: WorkerMode;
  /** The number of executions running (not stuck) changed. */
  onInFlightChanged?(count: number): void;
}

export class Consumer {
  private readonly flights = new Map<string, Flight>();
  private readonly handling = new Set<Promise<void>>();
  private readonly blacklist: BlacklistCache;
  private readonly pauses: BlacklistCache<WorkflowPause>;
  private readonly recorder: OutcomeRecorder;
  /** Messages received and not yet handed to the executor (they hold capacity). */
  private reserved = 0;
  private stopped = false;
  /** Fires when the worker stops receiving (ends waits between polls, not a poll itself). */
  private readonly receiving = new AbortController();
  /** Aborts every retry loop when the shutdown deadline is reached. */
  private readonly hardStop = new AbortController();
  private wake?: () => void;
  private loop?: Promise<void>;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;

  constructor(private readonly deps: ConsumerDeps) {
    const visibilityMs = deps.config.visibilityTimeoutSeconds * 1000;
    // The lease ends before the message reappears, so the worker that receives it again after a
    // crash can claim it at once (and counts attempt 2) instead of finding a live lease.
    this.leaseMs = visibilityMs - Math.min(5000, visibilityMs / 4);
    this.renewEveryMs = visibilityMs / 3;
    this.blacklist = new BlacklistCache(
      deps.repos.blacklist,
      deps.config.blacklistCacheMs,
      deps.logger,
    );
    // Paused workflows are read like the blacklist, so workers see a pause within its cache time.
    this.pauses = new BlacklistCache(
      { listActive: () => deps.repos.pauses.list() },
      deps.config.blacklistCacheMs,
      deps.logger,
      Date.now,
      'the paused workflows',
    );
    this.recorder = new OutcomeRecorder({
      repos: deps.repos,
      queue: deps.queue,
      publisher: deps.publisher,
      metrics: deps.metrics,
      logger: deps.logger,
      workerId: deps.workerId,
      signal: this.hardStop.signal,
    });
  }

  start(): void {
    this.loop = this.receiveLoop();
  }

  /** Executions running and not stuck. */
  get inFlight(): number {
    let count = 0;
    for (const flight of this.flights.values()) if (!flight.stuck && !flight.done) count++;
    return count;
  }

  /** Capacity may have changed: poll again if the loop is waiting for it. */
  notifyCapacity(): void {
    this.wake?.();
  }

  private async receiveLoop(): Promise<void> {
    const { queue, logger, executor } = this.deps;
    let failures = 0;
    while (!this.stopped) {
      const free = Math.min(10, executor.freeSlots() - this.reserved);
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 1000);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.wake = done;
        });
        this.wake = undefined;
        continue;
      }
      let messages: Message[];
      try {
        messages = await queue.receive(free);
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        failures++;
        const wait = backoffMs(failures + 1, 250, 10_000);
        logger[failures >= 3 ? 'error' : 'warn'](
          { err: error, retryInMs: wait },
          'receiving from SQS failed; retrying',
        );
        await delay(wait, this.receiving.signal);
        continue;
      }
      for (const message of messages) {
        this.reserved++;
        const handled = this.handle(message);
        this.handling.add(handled);
        void handled.finally(() => this.handling.delete(handled));
      }
    }
  }

  private async handle(message: Message): Promise<void> {
    let reserved = true;
    const release = (): void => {
      if (!reserved) return;
      reserved = false;
      this.reserved--;
      this.wake?.();
    };
    const { logger, config, catalog } = this.deps;
    // Until the execution is claimed (its own renewal takes over from there), keep the message
    // out of sight: a blacklist read or a claim retried through a DynamoDB outage must not let
    // SQS deliver it again and again, as every delivery counts towards the dead-letter queue.
    const keepAlive = setInterval(
      () => void this.extendVisibility(message.ReceiptHandle),
      this.renewEveryMs,
    );
    const stopKeepAlive = (): void => clearInterval(keepAlive);
    try {
      if (this.stopped) {
        // Stopped first, so that no extension lands after the message is given back.
        stopKeepAlive();
        await this.returnMessage(message.ReceiptHandle, 'the worker is stopping');
        return;
      }
      const attempt = attemptOf(message);
      const queuedAt = queuedAtOf(message, Date.now());
      const parsed = parseMessage(message, { catalog, maxInputBytes: config.maxInputBytes });
      if (!parsed.ok) {
        await this.recorder.deadLetter(message, parsed.rejection, queuedAt, attempt);
        return;
      }
      // A message the worker sent again (a retry, a wait) carries its attempt in the body.
      const runAs = messageAttempt(parsed.work, attempt);
      await this.runMessage(message, parsed, queuedAt, runAs, release, stopKeepAlive);
    } catch (error) {
      stopKeepAlive();
      if (this.stopped) {
        await this.returnMessage(message.ReceiptHandle, 'the worker is stopping').catch(() => {});
      } else {
        logger.error(
          { err: error, messageId: message.MessageId },
          'handling a message failed; it will be received again after its visibility timeout',
        );
      }
    } finally {
      stopKeepAlive();
      release();
    }
  }

  /** Pushes a message's reappearance one visibility timeout away (best effort). */
  private async extendVisibility(receiptHandle: string | undefined): Promise<void> {
    if (!receiptHandle) return;
    try {
      await this.deps.queue.extend(receiptHandle);
    } catch (error) {
      this.deps.logger.debug(
        { err: error },
        'extending the visibility of a message being handled failed',
      );
    }
  }

  private retry<T>(what: string, call: () => Promise<T>, context: Record<string, unknown> = {}) {
    return withRetry(what, call, {
      logger: this.deps.logger,
      signal: this.hardStop.signal,
      context,
    });
  }

  private async runMessage(
    message: Message,
    parsed: Extract<ParsedWork, { ok: true }>,
    queuedAt: string,
    attempt: number,
    release: () => void,
    stopKeepAlive: () => void,
  ): Promise<void> {
    const { repos, config, logger, workerId, executor, metrics } = this.deps;
    const { executionId, workflow } = parsed;
    const receiptHandle = message.ReceiptHandle!;
    const context = { executionId, workflowId: workflow.id, attempt };
    if (this.stopped) {
      // Stopped first, so that no extension lands after the message is given back.
      stopKeepAlive();
      await this.returnMessage(receiptHandle, 'the worker is stopping');
      return;
    }
    if (await this.waits(receiptHandle, parsed, attempt, stopKeepAlive)) return;
    const blacklisted = await this.retry(
      'reading the blacklist',
      () => this.blacklist.get(workflow.id),
      context,
    );
    if (blacklisted) {
      await this.recorder.refuse(message, {
        executionId,
        workflowId: workflow.id,
        queuedAt,
        attempt,
        input: parsed.input,
        errorMessage: `workflow "${workflow.id}" is blacklisted (${blacklisted.reason}, since ${blacklisted.blacklistedAt}) and was not run; remove it from the blacklist to run it again`,
      });
      return;
    }
    const timeoutSeconds =
      parsed.timeoutSeconds ?? workflow.timeoutSeconds ?? config.defaultTimeoutSeconds;
    // One token for this delivery's claim and all its retries: a retry after a lost answer finds
    // its own lease and claims again instead of taking it for another worker's.
    const claimToken = randomUUID();
    const claim = await this.retry(
      'claiming the execution',
      () =>
        repos.executions.claim({
          executionId,
          workflowId: workflow.id,
          workerId,
          attempt,
          leaseMs: this.leaseMs,
          queuedAt,
          timeoutSeconds,
          input: parsed.input,
          claimToken,
        }),
      context,
    );
    stopKeepAlive();
    if (!claim.claimed) {
      if (claim.existing && claim.existing.workflowId !== workflow.id) {
        await this.recorder.conflict(message, executionId, workflow.id, claim.existing.workflowId);
      } else {
        await this.claimRefused(receiptHandle, executionId, claim.existing);
      }
      return;
    }
    const record = claim.record;
    const renewal: { timer?: NodeJS.Timeout } = {};
    const flight: Flight = {
      executionId,
      workflowId: workflow.id,
      receiptHandle,
      attempt,
      deliveries: attemptOf(message),
      workflow,
      work: parsed.work,
      stuck: false,
      done: false,
      recorded: false,
      stopRenewal: () => clearInterval(renewal.timer),
    };
    if (record.cancelRequestedAt) {
      // Cancelled while an earlier delivery ran, whose worker was then lost: not run again.
      await this.recorder.complete(flight, {
        status: 'FAILED',
        errorType: 'Cancelled',
        errorMessage: `cancelled by ${record.cancelRequestedBy ?? 'an admin'} while an earlier attempt ran; not run again`,
        logs: [],
      });
      return;
    }
    this.flights.set(executionId, flight);
    this.publish({
      type: 'queue_changed',
      change: 'picked_up',
      executionId,
      workflowId: workflow.id,
    });
    metrics.emit(
      {
        [WORKER_METRICS.executionsStarted]: 1,
        ...(record.queueTimeMs !== undefined
          ? { [WORKER_METRICS.queueTimeMs]: record.queueTimeMs }
          : {}),
      },
      { workflowId: workflow.id, executionId },
    );
    renewal.timer = setInterval(() => void this.renew(flight), this.renewEveryMs);
    const running = executor.execute(
      {
        executionId,
        workflowId: workflow.id,
        input: parsed.input,
        attempt,
        timeoutMs: timeoutSeconds * 1000,
      },
      {
        onStarted: (placement) => this.started(flight, placement),
        onStuck: (info) => {
          // Stuck no longer takes capacity; its lease and message are kept until it is recorded.
          flight.stuck = true;
          this.inFlightChanged();
          return this.recorder.stuck(flight, info);
        },
      },
    );
    // The executor has registered the run, so its capacity already counts it.
    release();
    this.inFlightChanged();
    // The renewal goes on until the outcome is written, not just until the execution ends: through
    // a DynamoDB outage that write can take a while, and a message that reappeared meanwhile would
    // be claimed and run again elsewhere as soon as the lease lapsed.
    let outcome: ExecutionOutcome;
    try {
      outcome = await running;
    } catch (error) {
      flight.stopRenewal();
      throw error;
    }
    try {
      if (outcome.status === 'SUCCESS' || outcome.status === 'FAILED') {
        await this.recorder.complete(flight, outcome);
      } else if (outcome.status === 'ABANDONED') {
        flight.stopRenewal();
        await this.returnMessage(receiptHandle, outcome.reason, executionId);
      } else if (outcome.status === 'COLLATERAL') {
        await this.collateral(flight, outcome);
      }
    } finally {
      flight.stopRenewal();
      flight.done = true;
      this.flights.delete(executionId);
      this.inFlightChanged();
    }
    logger.debug({ ...context, status: outcome.status }, 'execution handled');
  }

  /**
   * Another execution blocked or overflowed the thread this one shared. It is not to blame: never
   * a stuck row, never a breaker count. Its message goes back at once (the next delivery counts
   * one more attempt and lands on a healthy thread); on the queue's last delivery of this message
   * (its receive count, not its attempt: a retry is a fresh message) it ends FAILED as
   * CollateralFailure naming the culprit, rather than in the dead-letter queue.
   */
  private async collateral(
    flight: Flight,
    outcome: Extract<ExecutionOutcome, { status: 'COLLATERAL' }>,
  ): Promise<void> {
    const { logger, metrics } = this.deps;
    const context = { executionId: flight.executionId, workflowId: flight.workflowId };
    metrics.emit({ [WORKER_METRICS.executionsCollateral]: 1 }, context);
    if (flight.deliveries < QUEUES.work.maxReceiveCount) {
      flight.stopRenewal();
      logger.warn(
        { ...context, attempt: flight.attempt, culprit: outcome.culprit },
        outcome.reason,
      );
      await this.returnMessage(
        flight.receiptHandle,
        `collateral: ${outcome.reason}`,
        flight.executionId,
      );
      return;
    }
    await this.recorder.complete(flight, {
      status: 'FAILED',
      errorType: 'CollateralFailure',
      errorMessage: `${outcome.reason}; this was its message's last delivery (${flight.deliveries} of ${QUEUES.work.maxReceiveCount}, attempt ${flight.attempt})`,
      logs: outcome.logs,
      ...(outcome.placement ? { placement: outcome.placement } : {}),
      ...(outcome.culprit ? { culprit: outcome.culprit } : {}),
    });
  }

  /**
   * Sends a message back to wait, true when it did: one not due yet (a backoff beyond SQS's
   * 15-minute delay), or one of a paused workflow. Waiting is a fresh message with the same
   * execution id and attempt, so it neither runs, fails, nor uses up the dead-letter receive count.
   */
  private async waits(
    receiptHandle: string,
    parsed: Extract<ParsedWork, { ok: true }>,
    attempt: number,
    stopKeepAlive: () => void,
  ): Promise<boolean> {
    const { queue, config, logger } = this.deps;
    const { executionId, workflow, work } = parsed;
    const context = { executionId, workflowId: workflow.id, attempt };
    const now = Date.now();
    let delaySeconds: number;
    let notBefore: number | undefined;
    let pause: WorkflowPause | undefined;
    if (work.notBefore !== undefined && work.notBefore > now + 1000) {
      notBefore = work.notBefore;
      delaySeconds = (work.notBefore - now) / 1000;
    } else {
      pause = await this.retry(
        'reading the paused workflows',
        () => this.pauses.get(workflow.id),
        context,
      );
      if (!pause) return false;
      delaySeconds = config.pauseRecheckSeconds;
    }
    stopKeepAlive();
    await queue.resend(
      receiptHandle,
      resendBody(work, executionId, attempt, notBefore),
      delaySeconds,
    );
    if (pause) {
      this.publish({
        type: 'queue_changed',
        change: 'deferred',
        executionId,
        workflowId: workflow.id,
      });
      logger.debug({ ...context, pausedBy: pause.pausedBy }, 'workflow paused; the message waits');
    }
    return true;
  }

  private started(flight: Flight, placement: Placement): void {
    flight.placement = placement;
    const { repos, workerId, logger } = this.deps;
    repos.executions
      .setPlacement(flight.executionId, workerId, placement)
      .catch((error: unknown) =>
        logger.warn({ err: error, executionId: flight.executionId }, 'could not record placement'),
      );
    this.publish({
      type: 'execution_started',
      executionId: flight.executionId,
      workflowId: flight.workflowId,
      workerId,
      pid: placement.pid,
      generation: placement.generation,
      ...(placement.threadId !== undefined ? { threadId: placement.threadId } : {}),
      attempt: flight.attempt,
    });
  }

  /** Keeps the lease and then the message's invisibility ahead of the clock while it runs. */
  private async renew(flight: Flight): Promise<void> {
    const { repos, queue, workerId, logger } = this.deps;
    if (flight.recorded || flight.done) return;
    try {
      const held = await repos.executions.renewLease(flight.executionId, workerId, this.leaseMs);
      if (!held && !flight.recorded) {
        logger.warn(
          { executionId: flight.executionId },
          'the lease on a running execution was lost',
        );
      }
    } catch (error) {
      logger.warn({ err: error, executionId: flight.executionId }, 'renewing the lease failed');
    }
    if (flight.recorded || flight.done) return;
    try {
      await queue.extend(flight.receiptHandle);
    } catch (error) {
      logger.warn(
        { err: error, executionId: flight.executionId },
        'extending the message visibility failed',
      );
    }
  }

  /** Another delivery of an execution that is finished (delete) or running elsewhere (wait). */
  private async claimRefused(
    receiptHandle: string,
    executionId: string,
    existing: { status: ExecutionStatus; leaseExpiresAt?: number } | undefined,
  ): Promise<void> {
    const { logger, queue, config } = this.deps;
    if (existing && isTerminal(existing.status)) {
      logger.info(
        { executionId, status: existing.status },
        'duplicate delivery of a finished execution; deleting the message',
      );
      await queue.delete(receiptHandle, executionId);
      return;
    }
    // Running under another worker's live lease: look again just after that lease would expire.
    const waitSeconds = existing?.leaseExpiresAt
      ? Math.ceil((existing.leaseExpiresAt - Date.now()) / 1000) + 1
      : config.visibilityTimeoutSeconds;
    logger.info(
      { executionId, waitSeconds },
      'execution is running elsewhere; leaving the message',
    );
    await queue.delay(receiptHandle, waitSeconds, executionId);
  }

  /**
   * Gives a message back at once (visibility 0), first releasing the lease if it was claimed so
   * the next worker can claim it immediately.
   */
  private async returnMessage(
    receiptHandle: string | undefined,
    reason: string,
    executionId?: string,
  ): Promise<void> {
    const { repos, queue, logger, workerId } = this.deps;
    if (!receiptHandle) return;
    if (executionId) {
      // A zero-length lease has already expired: the next claim succeeds.
      await withRetry(
        'releasing a lease',
        () => repos.executions.renewLease(executionId, workerId, 0),
        { logger, attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
      ).catch((error: unknown) => logger.warn({ err: error, executionId }, 'could not release'));
    }
    await queue.returnMessage(receiptHandle, executionId);
    logger.info({ executionId, reason }, 'returned a message to the queue');
  }

  private publish(event: EventInput): void {
    void this.deps.publisher.publish(event);
  }

  private inFlightChanged(): void {
    this.deps.onInFlightChanged?.(this.inFlight);
  }

  /** Stops receiving: what the last poll brings goes straight back to the queue. */
  stopReceiving(): void {
    this.stopped = true;
    this.receiving.abort();
    this.wake?.();
  }

  /** Resolves true once nothing healthy runs (stuck ones do not count), false at the deadline. */
  async whenIdle(deadlineMs: number): Promise<boolean> {
    while (Date.now() < deadlineMs) {
      if (this.inFlight === 0 && this.reserved === 0) return true;
      await delay(Math.min(100, Math.max(0, deadlineMs - Date.now())));
    }
    return this.inFlight === 0 && this.reserved === 0;
  }

  /** Waits for every message being handled to settle, then gives up retrying at the deadline. */
  async finish(deadlineMs: number): Promise<void> {
    await this.loop;
    const pending = Promise.allSettled([...this.handling]);
    const timeout = delay(Math.max(0, deadlineMs - Date.now()));
    await Promise.race([pending, timeout]);
    this.hardStop.abort();
    this.deps.queue.giveUp();
    await Promise.race([pending, delay(1000)]);
  }
}
