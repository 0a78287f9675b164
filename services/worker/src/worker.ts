/**
 * The worker runtime: composes the executor the feature flag selects, the SQS consumer,
 * registration and heartbeats in the Workers table, recycle commands, live events, metrics, ECS
 * task protection, and the SIGTERM drain.
 */
import { hostname } from 'node:os';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  WORKER_METRICS,
  iso,
  metricMode,
  type EventInput,
  type EventPublisher,
  type Logger,
  type ProcessSnapshot,
  type Repositories,
  type WorkerConfig,
  type WorkerRecord,
  type WorkerStatus,
} from '@warden/core';
import type { WorkflowCatalog } from './catalog.js';
import { Consumer } from './consumer.js';
import type { EcsTask, TaskProtection } from './ecs.js';
import { createExecutor, type Executor, type ExecutorEvent } from './executors/index.js';
import { readMemory } from './memory.js';
import type { WorkerMetrics } from './metrics.js';
import { delay, withRetry } from './retry.js';

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
}

/** Time kept back from the shutdown deadline to stop processes and hand messages back. */
const SHUTDOWN_RESERVE_MS = 3000;

export class WorkerRuntime {
  readonly executor: Executor;
  private readonly consumer: Consumer;
  private readonly mode;
  private readonly startedAt = iso(Date.now());
  private status: WorkerStatus = 'ONLINE';
  private heartbeatTimer?: NodeJS.Timeout;
  private commandTimer?: NodeJS.Timeout;
  private heartbeatSoon?: NodeJS.Timeout;
  private heartbeating = false;
  /** No heartbeat before the full record is written: it would show the worker ONLINE without its catalog. */
  private registered = false;
  private polling = false;
  private stopping?: Promise<void>;

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
      threadPoolSize: config.threadPoolSize,
      executionsPerThread: config.executionsPerThread,
      maxExecutionsPerProcess: config.maxExecutionsPerProcess,
      maxProcessMemoryMb: config.maxProcessMemoryMb,
      onEvent: (event) => this.onExecutorEvent(event),
    });
    this.consumer = new Consumer({
      config,
      sqs: deps.sqs,
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

  async start(): Promise<void> {
    const { repos, config, logger, workerId, catalog } = this.deps;
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
      const processes = this.executor.snapshot();
      await repos.workers.heartbeat(workerId, processes, this.status);
      this.publish({ type: 'worker_heartbeat', workerId, mode: this.mode, processes });
      this.emitMemory(processes);
      void this.deps.taskProtection?.update(this.consumer.inFlight);
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat failed; the next one will try again');
    } finally {
      this.heartbeating = false;
    }
  }

  private emitMemory(processes: ProcessSnapshot[]): void {
    const main = readMemory(process.pid);
    const total = processes.reduce((sum, p) => sum + p.memoryMb, main?.mb ?? 0);
    this.deps.metrics.emit(
      { [WORKER_METRICS.processMemoryMb]: Math.round(total * 10) / 10 },
      {
        memoryKind: main?.kind ?? 'rss',
        orchestratorMb: main?.mb,
        processes: processes.map((p) => ({ pid: p.pid, state: p.state, memoryMb: p.memoryMb })),
      },
      true,
    );
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
            : {
                status: 'REJECTED' as const,
                outcome: `unknown command type ${JSON.stringify(command.type)}`,
              };
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
    this.status = 'STOPPING';
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
    await this.deps.taskProtection?.update(0);
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

  private publish(event: EventInput): void {
    void this.deps.publisher.publish(event);
  }
}
