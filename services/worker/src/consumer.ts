/**
 * SQS consumption: receive only as many messages as there is capacity for, validate each one,
 * refuse blacklisted workflows, claim the execution with a conditional write (so a duplicate
 * delivery never runs twice), hand it to the executor, keep the message invisible and the lease
 * alive while it runs, then write the terminal record and delete the message. Invalid messages get
 * a FAILED record and go to the dead-letter queue. Every AWS call is retried on transient errors,
 * and a message is deleted only once its outcome is recorded.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  ID_PATTERN,
  WORKER_METRICS,
  describeZodError,
  iso,
  workMessageSchema,
  type ErrorType,
  type EventInput,
  type EventPublisher,
  type Logger,
  type Repositories,
  type WorkerConfig,
  type WorkerMode,
} from '@warden/core';
import { BlacklistCache } from './blacklist-cache.js';
import type { CatalogEntry, WorkflowCatalog } from './catalog.js';
import type { ExecutionOutcome, Executor, Placement, StuckInfo } from './executors/index.js';
import type { WorkerMetrics } from './metrics.js';
import { delay, isPermanent, withRetry } from './retry.js';

const MESSAGE_SHAPE =
  'expected JSON {"workflowId": "...", "executionId"?: "...", "input"?: any, "timeoutSeconds"?: number}';

export interface ConsumerDeps {
  config: WorkerConfig;
  sqs: SQSClient;
  repos: Repositories;
  executor: Executor;
  catalog: WorkflowCatalog;
  publisher: EventPublisher;
  metrics: WorkerMetrics;
  logger: Logger;
  workerId: string;
  mode: WorkerMode;
  /** The number of executions running (not stuck) changed. */
  onInFlightChanged?(count: number): void;
}

/** One claimed execution whose message this worker holds. */
interface Flight {
  executionId: string;
  workflowId: string;
  receiptHandle: string;
  attempt: number;
  placement?: Placement;
  stuck: boolean;
  done: boolean;
  /** Its outcome is written: the lease and the message no longer need keeping. */
  recorded: boolean;
  renewTimer?: NodeJS.Timeout;
}

interface Rejection {
  executionId: string;
  workflowId: string;
  errorType: ErrorType;
  errorMessage: string;
  input?: unknown;
}

type Parsed =
  | { ok: false; rejection: Rejection }
  | {
      ok: true;
      executionId: string;
      workflow: CatalogEntry;
      input: unknown;
      timeoutSeconds?: number;
    };

export class Consumer {
  private readonly flights = new Map<string, Flight>();
  private readonly handling = new Set<Promise<void>>();
  private readonly blacklist: BlacklistCache;
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
    const { sqs, config, logger, executor } = this.deps;
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
        const result = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: config.queueUrl,
            MaxNumberOfMessages: free,
            WaitTimeSeconds: config.pollWaitSeconds,
            VisibilityTimeout: config.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          // Deliberately not aborted on stop: SQS may still hand an abandoned poll a message,
          // which would then stay out of sight for a whole visibility timeout.
        );
        messages = result.Messages ?? [];
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        failures++;
        const wait = Math.min(10_000, 250 * 2 ** Math.min(failures, 6));
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
    const { logger } = this.deps;
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
        await this.returnMessage(message.ReceiptHandle, 'the worker is stopping');
        return;
      }
      const attempt = Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1;
      const sent = Number(message.Attributes?.SentTimestamp);
      const queuedAt = iso(Number.isFinite(sent) && sent > 0 ? sent : Date.now());
      const parsed = this.parse(message);
      if (!parsed.ok) {
        await this.deadLetter(message, parsed.rejection, queuedAt, attempt);
        return;
      }
      await this.runMessage(message, parsed, queuedAt, attempt, release, stopKeepAlive);
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
    const { sqs, config, logger } = this.deps;
    if (!receiptHandle) return;
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: config.visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      logger.debug({ err: error }, 'extending the visibility of a message being handled failed');
    }
  }

  private parse(message: Message): Parsed {
    const messageId = message.MessageId ?? randomUUID();
    let body: unknown;
    try {
      body = JSON.parse(message.Body ?? '');
    } catch (error) {
      return {
        ok: false,
        rejection: {
          executionId: messageId,
          workflowId: 'unknown',
          errorType: 'InvalidMessage',
          errorMessage: `the message body is not valid JSON (${(error as Error).message}); ${MESSAGE_SHAPE}`,
        },
      };
    }
    const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const safeId = (value: unknown): string | undefined =>
      typeof value === 'string' && ID_PATTERN.test(value) ? value : undefined;
    const executionId = safeId(raw.executionId) ?? messageId;
    const workflowId = safeId(raw.workflowId) ?? 'unknown';
    const result = workMessageSchema.safeParse(body);
    if (!result.success) {
      return {
        ok: false,
        rejection: {
          executionId,
          workflowId,
          errorType: 'InvalidMessage',
          errorMessage: `the message is not a valid work message: ${describeZodError(result.error)}; ${MESSAGE_SHAPE}`,
        },
      };
    }
    const work = result.data;
    const inputBytes = work.input === undefined ? 0 : Buffer.byteLength(JSON.stringify(work.input));
    if (inputBytes > this.deps.config.maxInputBytes) {
      return {
        ok: false,
        rejection: {
          executionId,
          workflowId,
          errorType: 'InvalidMessage',
          errorMessage: `the input is ${inputBytes} bytes of JSON; at most ${this.deps.config.maxInputBytes} are accepted (MAX_INPUT_BYTES)`,
        },
      };
    }
    const workflow = this.deps.catalog.get(work.workflowId);
    if (!workflow) {
      return {
        ok: false,
        rejection: {
          executionId,
          workflowId,
          errorType: 'UnknownWorkflow',
          errorMessage: `workflow "${work.workflowId}" is not known to this worker; it runs: ${this.deps.catalog.ids().join(', ')}`,
          input: work.input,
        },
      };
    }
    return {
      ok: true,
      executionId,
      workflow,
      input: work.input,
      timeoutSeconds: work.timeoutSeconds,
    };
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
    parsed: Extract<Parsed, { ok: true }>,
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
    const blacklisted = await this.retry(
      'reading the blacklist',
      () => this.blacklist.get(workflow.id),
      context,
    );
    if (blacklisted) {
      await this.refuse(receiptHandle, {
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
        }),
      context,
    );
    stopKeepAlive();
    if (!claim.claimed) {
      await this.claimRefused(receiptHandle, executionId, claim.existing);
      return;
    }
    const record = claim.record;
    const flight: Flight = {
      executionId,
      workflowId: workflow.id,
      receiptHandle,
      attempt,
      stuck: false,
      done: false,
      recorded: false,
    };
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
    flight.renewTimer = setInterval(() => void this.renew(flight), this.renewEveryMs);
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
        onStuck: (info) => this.stuck(flight, info),
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
      clearInterval(flight.renewTimer);
      throw error;
    }
    try {
      if (outcome.status === 'SUCCESS' || outcome.status === 'FAILED') {
        await this.complete(flight, outcome);
      } else if (outcome.status === 'ABANDONED') {
        clearInterval(flight.renewTimer);
        await this.returnMessage(receiptHandle, outcome.reason, executionId);
      }
    } finally {
      clearInterval(flight.renewTimer);
      flight.done = true;
      this.flights.delete(executionId);
      this.inFlightChanged();
    }
    logger.debug({ ...context, status: outcome.status }, 'execution handled');
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
    const { repos, sqs, config, workerId, logger } = this.deps;
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
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.queueUrl,
          ReceiptHandle: flight.receiptHandle,
          VisibilityTimeout: config.visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      logger.warn(
        { err: error, executionId: flight.executionId },
        'extending the message visibility failed',
      );
    }
  }

  /** STUCK: the record and the stuck row are written here, before the executor kills anything. */
  private async stuck(flight: Flight, info: StuckInfo): Promise<void> {
    const { repos, workerId, metrics, logger } = this.deps;
    // Stuck no longer takes capacity; its lease and message are kept until the record is written.
    flight.stuck = true;
    this.inFlightChanged();
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
          stuckAt: iso(Date.now()),
          workerId,
          pid: placement?.pid,
          threadId: placement?.threadId,
          elapsedMs: info.elapsedMs,
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
          ...(placement ? { placement } : {}),
        }),
      context,
    );
    flight.recorded = true;
    clearInterval(flight.renewTimer);
    // A stuck execution is not retried: its message goes, once the record says why.
    if (record) await this.deleteMessage(flight.receiptHandle, flight.executionId);
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

  private async complete(
    flight: Flight,
    outcome: Extract<ExecutionOutcome, { status: 'SUCCESS' | 'FAILED' }>,
  ): Promise<void> {
    const { repos, workerId, metrics, logger } = this.deps;
    const context = { executionId: flight.executionId, workflowId: flight.workflowId };
    const placement = outcome.placement ?? flight.placement;
    const record = await this.retry(
      'recording the outcome',
      () =>
        repos.executions.finish(flight.executionId, workerId, {
          ...(outcome.status === 'SUCCESS'
            ? { status: 'SUCCESS', output: outcome.output, logs: outcome.logs }
            : {
                status: 'FAILED',
                errorType: outcome.errorType,
                errorMessage: outcome.errorMessage,
                logs: outcome.logs,
              }),
          ...(placement ? { placement } : {}),
        }),
      context,
    );
    flight.recorded = true;
    clearInterval(flight.renewTimer);
    if (!record) {
      // Another worker holds the execution now; deleting the message would take it from them.
      logger.warn(context, 'the lease was lost before the outcome could be recorded; discarded');
      return;
    }
    await this.deleteMessage(flight.receiptHandle, flight.executionId);
    const errorType = outcome.status === 'FAILED' ? outcome.errorType : undefined;
    this.publish({
      type: 'execution_finished',
      executionId: flight.executionId,
      workflowId: flight.workflowId,
      workerId,
      status: outcome.status,
      ...(errorType ? { errorType } : {}),
      durationMs: record.durationMs,
    });
    metrics.emit(
      {
        [outcome.status === 'SUCCESS'
          ? WORKER_METRICS.executionsSucceeded
          : WORKER_METRICS.executionsFailed]: 1,
        ...(record.durationMs !== undefined
          ? { [WORKER_METRICS.durationMs]: record.durationMs }
          : {}),
      },
      { ...context, ...(errorType ? { errorType } : {}) },
    );
    logger.info(
      { ...context, status: outcome.status, errorType, durationMs: record.durationMs },
      'execution finished',
    );
  }

  /** Another delivery of an execution that is finished (delete) or running elsewhere (wait). */
  private async claimRefused(
    receiptHandle: string,
    executionId: string,
    existing: { status: string; leaseExpiresAt?: number } | undefined,
  ): Promise<void> {
    const { logger, sqs, config } = this.deps;
    if (existing && ['SUCCESS', 'FAILED', 'CANCELLED'].includes(existing.status)) {
      logger.info(
        { executionId, status: existing.status },
        'duplicate delivery of a finished execution; deleting the message',
      );
      await this.deleteMessage(receiptHandle, executionId);
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
    await this.retry('delaying a duplicate message', () =>
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: config.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(43_200, Math.max(1, waitSeconds)),
        }),
      ),
    ).catch((error: unknown) => logger.warn({ err: error, executionId }, 'could not delay it'));
  }

  private async refuse(
    receiptHandle: string,
    refusal: {
      executionId: string;
      workflowId: string;
      queuedAt: string;
      attempt: number;
      input: unknown;
      errorMessage: string;
    },
  ): Promise<void> {
    const { repos, metrics, logger, workerId } = this.deps;
    const context = { executionId: refusal.executionId, workflowId: refusal.workflowId };
    await this.retry(
      'recording a refused execution',
      () => repos.executions.failUnrun({ ...refusal, errorType: 'WorkflowBlacklisted' }),
      context,
    );
    await this.deleteMessage(receiptHandle, refusal.executionId);
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

  /** Records why a message is invalid, sends a copy to the dead-letter queue, deletes it. */
  private async deadLetter(
    message: Message,
    rejection: Rejection,
    queuedAt: string,
    attempt: number,
  ): Promise<void> {
    const { repos, sqs, config, metrics, logger, workerId } = this.deps;
    const context = { executionId: rejection.executionId, workflowId: rejection.workflowId };
    await this.retry(
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
    const text = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.retry(
      'sending a message to the dead-letter queue',
      () =>
        sqs.send(
          new SendMessageCommand({
            QueueUrl: config.deadLetterQueueUrl,
            MessageBody: message.Body || '(empty body)',
            MessageAttributes: {
              'warden.errorType': text(rejection.errorType),
              'warden.errorMessage': text(rejection.errorMessage.slice(0, 1000)),
              'warden.executionId': text(rejection.executionId),
              'warden.sourceMessageId': text(message.MessageId ?? 'unknown'),
              'warden.workerId': text(workerId),
            },
          }),
        ),
      context,
    );
    await this.deleteMessage(message.ReceiptHandle!, rejection.executionId);
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
    logger.warn(
      { ...context, errorType: rejection.errorType, reason: rejection.errorMessage },
      'moved an invalid message to the dead-letter queue',
    );
  }

  private async deleteMessage(receiptHandle: string, executionId?: string): Promise<void> {
    const { sqs, config, logger } = this.deps;
    try {
      await this.retry('deleting a message', () =>
        sqs.send(
          new DeleteMessageCommand({ QueueUrl: config.queueUrl, ReceiptHandle: receiptHandle }),
        ),
      );
    } catch (error) {
      if (!isPermanent(error) && !this.hardStop.signal.aborted) throw error;
      // The receipt expired (the message became visible again); the next delivery finds the
      // execution finished and deletes it then.
      logger.warn({ err: error, executionId }, 'could not delete a message');
    }
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
    const { repos, sqs, config, logger, workerId } = this.deps;
    if (!receiptHandle) return;
    const options = { logger, attempts: 3, baseDelayMs: 100, maxDelayMs: 500 };
    if (executionId) {
      // A zero-length lease has already expired: the next claim succeeds.
      await withRetry(
        'releasing a lease',
        () => repos.executions.renewLease(executionId, workerId, 0),
        options,
      ).catch((error: unknown) => logger.warn({ err: error, executionId }, 'could not release'));
    }
    await withRetry(
      'returning a message to the queue',
      () =>
        sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: config.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: 0,
          }),
        ),
      options,
    ).catch((error: unknown) =>
      logger.warn({ err: error, executionId }, 'could not return a message; it returns on its own'),
    );
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
    await Promise.race([pending, delay(1000)]);
  }
}
