/**
 * The worker runtime: composes the executor the feature flag selects, the SQS consumer,
 * registration and heartbeats in the Workers table, recycle commands, live events, metrics, ECS
 * task protection, and the SIGTERM drain.
 */
import { hostname } from 'node:os';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  SYSTEM_CONFIG_DEFAULTS,
  WORKER_METRICS,
  iso,
  metricMode,
  type EventInput,
  type EventPublisher,
  type Logger,
  type ProcessSnapshot,
  type Repositories,
  type WorkerCommand,
  type WorkerConfig,
  type WorkerMode,
  type WorkerRecord,
  type WorkerSample,
  type WorkerStatus,
} from '@warden/core';
import type { WorkflowCatalog } from './catalog.js';
import { Consumer } from './consumer.js';
import type { EcsTask, TaskProtection } from './ecs.js';
import { createExecutor, type Executor, type ExecutorEvent } from './executors/index.js';
import { readMemory } from './memory.js';
import type { WorkerMetrics } from './metrics.js';
import { delay, withRetry } from './retry.js';
import type { WorkflowCredentials } from './workflow-credentials.js';
import { workflowEnvironment } from './workflow-env.js';
import { SqsWorkQueue } from './work-queue.js';

export interface WorkerDeps {
  config: WorkerConfig;
  workerId: string;
  catalog: WorkflowCatalog;
  sqs: SQSClient;
  repos: Repositories;
  publisher: EventPublisher;
  metrics: WorkerMetrics;
  logger: Logger;
  ecsTask?: EcsTask;
  taskProtection?: TaskProtection;
  /** AWS credentials for workflows (never the worker's own); none when absent. */
  workflowCredentials?: WorkflowCredentials;
}

/** Time kept back from the shutdown deadline to stop processes and hand messages back. */
const SHUTDOWN_RESERVE_MS = 3000;

/**
 * Where a worker is in its life, in order; it never goes back:
 * - `CREATED`: constructed, nothing started.
 * - `STARTING`: the executor starts and the worker registers itself.
 * - `ONLINE`: registered, heartbeating, receiving and running executions.
 * - `STOPPING`: no longer receiving; running executions drain until the shutdown deadline, then
 *   what is unfinished goes back to the queue.
 * - `OFFLINE`: deregistered; nothing runs.
 * `STOPPING` and `OFFLINE` are also what the Workers table shows (`WorkerStatus`).
 */
export type WorkerLifecycleState = 'CREATED' | 'STARTING' | WorkerStatus;

/** What `getStatus()` reports. */
export interface WorkerRuntimeStatus {
  workerId: string;
  mode: WorkerMode;
  state: WorkerLifecycleState;
  /** Executions running and not stuck. */
  inFlight: number;
  capacity: number;
  processes: ProcessSnapshot[];
}

export class WorkerRuntime {
  readonly executor: Executor;
  private readonly consumer: Consumer;
  private readonly mode: WorkerMode;
  private readonly startedAt = iso(Date.now());
  private state: WorkerLifecycleState = 'CREATED';
  private heartbeatTimer?: NodeJS.Timeout;
  private commandTimer?: NodeJS.Timeout;
  private heartbeatSoon?: NodeJS.Timeout;
  private heartbeating = false;
  /** No heartbeat before the full record is written: it would show the worker ONLINE without its catalog. */
  private registered = false;
  private polling = false;
  private stopping?: Promise<void>;
  /** The circuit breaker's window (SystemConfig), refreshed with each heartbeat. */
  private breakerWindowMs = SYSTEM_CONFIG_DEFAULTS.stuck_circuit_breaker_window_minutes * 60_000;

  constructor(private readonly deps: WorkerDeps) {
    const { config, logger } = deps;
    this.mode = metricMode(config.useThreadWorkers);
    this.executor = createExecutor(config.useThreadWorkers, {
      catalog: deps.catalog,
      logger,
      maxConcurrency: config.maxConcurrency,
      cancelGraceMs: config.cancelGraceMs,
      killCapMs: config.killCapMs,
      threadMaxHeapMb: config.threadMaxHeapMb,
      poolSemiSpaceMb: config.poolSemiSpaceMb,
      threadPoolSize: config.threadPoolSize,
      executionsPerThread: config.executionsPerThread,
      maxExecutionsPerProcess: config.maxExecutionsPerProcess,
      maxProcessMemoryMb: config.maxProcessMemoryMb,
      runnerEnv: () =>
        workflowEnvironment(
          process.env,
          config.workflowEnvAllow,
          deps.workflowCredentials?.current(),
        ),
      threadBlockedMs: config.threadBlockedMs,
      threadIdleMs: config.threadIdleMs,
      isolationWindowMs: () => this.breakerWindowMs,
      onEvent: (event) => this.onExecutorEvent(event),
    });
    this.consumer = new Consumer({
      config,
      queue: new SqsWorkQueue({ sqs: deps.sqs, config, logger }),
      repos: deps.repos,
      executor: this.executor,
      catalog: deps.catalog,
      publisher: deps.publisher,
      metrics: deps.metrics,
      logger,
      workerId: deps.workerId,
      mode: this.mode,
      onInFlightChanged: (count) => void deps.taskProtection?.update(count),
    });
  }

  /** A read of the worker's state, processes and load; it changes nothing. */
  getStatus(): WorkerRuntimeStatus {
    return {
      workerId: this.deps.workerId,
      mode: this.mode,
      state: this.state,
      inFlight: this.consumer.inFlight,
      capacity: this.deps.config.maxConcurrency,
      processes: this.executor.snapshot(),
    };
  }

  async start(): Promise<void> {
    const { repos, config, logger, workerId, catalog } = this.deps;
    if (this.state !== 'CREATED') throw new Error(`the worker is ${this.state}; it starts once`);
    this.state = 'STARTING';
    // Runners are started with these credentials, so they come first.
    await this.deps.workflowCredentials?.start();
    await this.executor.start();
    const record: Omit<WorkerRecord, 'expiresAt'> = {
      workerId,
      mode: this.mode,
      version: config.version,
      hostname: hostname(),
      ...(this.deps.ecsTask ? { taskArn: this.deps.ecsTask.taskArn } : {}),
      mainPid: process.pid,
      startedAt: this.startedAt,
      lastHeartbeatAt: iso(Date.now()),
      status: 'ONLINE',
      capacity: config.maxConcurrency,
      processes: this.executor.snapshot(),
      workflows: catalog.info(config.defaultTimeoutSeconds),
    };
    await withRetry('registering the worker', () => repos.workers.register(record), { logger });
    this.registered = true;
    const { workflows: _workflows, ...worker } = record;
    this.publish({ type: 'worker_online', worker });
    logger.info(
      {
        mode: this.mode,
        capacity: config.maxConcurrency,
        workflows: catalog.ids(),
        ...(config.useThreadWorkers
          ? { threads: config.threadPoolSize, executionsPerThread: config.executionsPerThread }
          : {}),
      },
      'worker online',
    );
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), config.heartbeatIntervalMs);
    this.commandTimer = setInterval(() => void this.pollCommands(), config.commandPollMs);
    this.state = 'ONLINE';
    this.consumer.start();
  }

  private onExecutorEvent(event: ExecutorEvent): void {
    const { workerId, metrics } = this.deps;
    switch (event.type) {
      case 'capacity':
        this.consumer.notifyCapacity();
        return;
      case 'process_state':
        this.publish({
          type: 'process_state_changed',
          workerId,
          pid: event.pid,
          generation: event.generation,
          from: event.from,
          to: event.to,
          reason: event.reason,
        });
        // Thread mode state changes are rare and matter to the admin view: write them at once.
        if (this.mode === 'thread') this.scheduleHeartbeat();
        return;
      case 'recycle':
        metrics.emit(
          { [WORKER_METRICS.processRecycles]: 1 },
          { pid: event.pid, generation: event.generation, reason: event.reason },
        );
        this.sample({ kind: 'recycle' });
        return;
      case 'process_exit':
        // Process mode forks one child per execution: their uptime is the execution's duration.
        if (this.mode !== 'thread') return;
        metrics.emit(
          {
            [WORKER_METRICS.processUptimeSeconds]: event.uptimeMs / 1000,
            ...(event.drainMs !== undefined
              ? { [WORKER_METRICS.drainDurationSeconds]: event.drainMs / 1000 }
              : {}),
          },
          { pid: event.pid, generation: event.generation, expected: event.expected },
        );
        this.sample({
          kind: 'exit',
          uptimeSeconds: event.uptimeMs / 1000,
          ...(event.drainMs !== undefined ? { drainSeconds: event.drainMs / 1000 } : {}),
        });
        return;
    }
  }

  private scheduleHeartbeat(): void {
    this.heartbeatSoon ??= setTimeout(() => {
      this.heartbeatSoon = undefined;
      void this.heartbeat();
    }, 100);
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeating || !this.registered) return;
    this.heartbeating = true;
    const { repos, workerId, logger } = this.deps;
    try {
      this.executor.checkMemory();
      const processes = this.executor.snapshot();
      await repos.workers.heartbeat(workerId, processes, this.workerStatus());
      this.publish({ type: 'worker_heartbeat', workerId, mode: this.mode, processes });
      const inFlight = this.consumer.inFlight;
      const memory = this.emitMemory(processes, inFlight);
      this.sample({ kind: 'heartbeat', inFlight, ...memory });
      void this.deps.taskProtection?.update(this.consumer.inFlight);
      // How long a workflow that blocked a thread keeps a thread to itself follows the breaker.
      const breaker = await repos.systemConfig.get();
      this.breakerWindowMs = breaker.stuck_circuit_breaker_window_minutes * 60_000;
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat failed; the next one will try again');
    } finally {
      this.heartbeating = false;
    }
  }

  /**
   * A row of the worker's history for the rollout comparison (memory per execution, recycles,
   * uptime, drains). Best effort: a lost sample costs one data point, never an execution.
   */
  private sample(
    input: Pick<
      WorkerSample,
      'kind' | 'inFlight' | 'memoryMb' | 'memoryKind' | 'uptimeSeconds' | 'drainSeconds'
    >,
  ): void {
    const { repos, workerId, config, logger } = this.deps;
    void repos.samples
      .record({ ...input, mode: this.mode, workerId, version: config.version })
      .catch((error: unknown) =>
        logger.warn({ err: error, kind: input.kind }, 'could not write a worker sample'),
      );
  }

  /** Emits and returns the worker's memory: the orchestrator's PSS plus its processes'. */
  private emitMemory(
    processes: ProcessSnapshot[],
    inFlight: number,
  ): {
    memoryMb: number;
    memoryKind: 'pss' | 'rss';
  } {
    const main = readMemory(process.pid);
    const total =
      Math.round(processes.reduce((sum, p) => sum + p.memoryMb, main?.mb ?? 0) * 10) / 10;
    const memoryKind = main?.kind ?? 'rss';
    this.deps.metrics.emit(
      {
        [WORKER_METRICS.processMemoryMb]: total,
        // Only with work in flight: an idle worker has no per-execution figure.
        ...(inFlight > 0
          ? { [WORKER_METRICS.memoryPerExecutionMb]: Math.round((total / inFlight) * 100) / 100 }
          : {}),
      },
      {
        memoryKind,
        inFlight,
        orchestratorMb: main?.mb,
        processes: processes.map((p) => ({ pid: p.pid, state: p.state, memoryMb: p.memoryMb })),
      },
      true,
    );
    return { memoryMb: total, memoryKind };
  }

  /**
   * A cancel command: fire the execution's AbortSignal. Undefined (asked again at the next poll)
   * while the record says it runs here but the executor has not been handed it yet.
   */
  private async cancel(
    command: WorkerCommand,
  ): Promise<{ status: 'DONE' | 'REJECTED'; outcome: string } | undefined> {
    const executionId = command.executionId ?? '';
    if (this.executor.cancelExecution(executionId, command.requestedBy)) {
      return { status: 'DONE', outcome: `AbortSignal fired for ${executionId}` };
    }
    const record = await this.deps.repos.executions.get(executionId);
    if (record?.status === 'RUNNING' && record.leaseOwner === this.deps.workerId) {
      if (Date.now() - Date.parse(command.requestedAt) < 30_000) return undefined;
    }
    return {
      status: 'REJECTED',
      outcome: `execution ${executionId} is not running on this worker (${record?.status ?? 'no record'})`,
    };
  }

  private async pollCommands(): Promise<void> {
    if (this.polling || this.stopping) return;
    this.polling = true;
    const { repos, workerId, logger } = this.deps;
    try {
      for (const command of await repos.commands.listPending(workerId)) {
        const result =
          command.type === 'recycle'
            ? this.executor.recycle(command.pid, command.generation, command.requestedBy)
            : command.type === 'cancel'
              ? await this.cancel(command)
              : {
                  status: 'REJECTED' as const,
                  outcome: `unknown command type ${JSON.stringify(command.type)}`,
                };
        if (!result) continue;
        await withRetry(
          'recording a command outcome',
          () => repos.commands.complete(workerId, command.commandId, result.status, result.outcome),
          { logger, attempts: 5 },
        );
        logger.info(
          { commandId: command.commandId, status: result.status, outcome: result.outcome },
          'command handled',
        );
      }
    } catch (error) {
      logger.warn({ err: error }, 'polling commands failed; the next poll will try again');
    } finally {
      this.polling = false;
    }
  }

  /**
   * SIGTERM: stop receiving, let running executions finish until the deadline (less a reserve),
   * then stop the processes and give every unfinished message back to the queue, deregister and
   * publish worker_offline.
   */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= this.doShutdown(reason);
    return this.stopping;
  }

  private async doShutdown(reason: string): Promise<void> {
    const { repos, workerId, logger, config } = this.deps;
    const begunAt = Date.now();
    const deadline = begunAt + config.shutdownDeadlineMs;
    const drainUntil =
      deadline - Math.min(config.shutdownDeadlineMs / 2, SHUTDOWN_RESERVE_MS + config.killCapMs);
    logger.info({ reason, inFlight: this.consumer.inFlight }, 'worker stopping: draining');
    this.state = 'STOPPING';
    clearInterval(this.commandTimer);
    this.consumer.stopReceiving();
    await repos.workers
      .setStatus(workerId, 'STOPPING', this.executor.snapshot())
      .catch((error: unknown) => logger.warn({ err: error }, 'could not mark the worker STOPPING'));
    const drained = await this.consumer.whenIdle(drainUntil);
    if (!drained) {
      logger.warn(
        { inFlight: this.consumer.inFlight },
        'shutdown deadline near: stopping unfinished executions and returning their messages',
      );
    }
    await this.executor.stop();
    await this.consumer.finish(deadline - 500);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.heartbeatSoon);
    while (this.heartbeating) await delay(20);
    await withRetry(
      'deregistering the worker',
      () => repos.workers.setStatus(workerId, 'OFFLINE', []),
      {
        logger,
        attempts: 3,
      },
    ).catch((error: unknown) => logger.warn({ err: error }, 'could not mark the worker OFFLINE'));
    this.state = 'OFFLINE';
    await this.deps.taskProtection?.update(0);
    this.deps.workflowCredentials?.stop();
    // Best effort and last: events wait their turn behind earlier frames, so a slow events
    // endpoint must not hold the exit past the deadline.
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      this.deps.publisher.publish({ type: 'worker_offline', workerId, reason }),
      new Promise<void>((resolve) => {
        giveUp = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(giveUp);
    logger.info({ reason, drained, tookMs: Date.now() - begunAt }, 'worker offline');
  }

  /** The status the Workers table shows: ONLINE until it stops. */
  private workerStatus(): WorkerStatus {
    return this.state === 'STOPPING' || this.state === 'OFFLINE' ? this.state : 'ONLINE';
  }

  private publish(event: EventInput): void {
    void this.deps.publisher.publish(event);
  }
}
