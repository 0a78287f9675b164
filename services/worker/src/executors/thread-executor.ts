/**
 * Thread mode (USE_THREAD_WORKERS=true): the orchestrator side. It keeps exactly one ACTIVE pool
 * process; each pool process runs executions on warm worker threads. A process that can no longer
 * be trusted (a stuck execution, a recycle request, too many executions, too much memory) DRAINS:
 * it takes no new work, a replacement is started at once, its healthy executions finish however
 * long they take, and once only stuck ones remain it is terminated (SIGTERM, then SIGKILL after
 * WORKER_KILL_CAP_SECONDS). A pool process that dies unexpectedly fails its running executions as
 * WorkerLost (executions it had not started yet go to the next process) and is replaced.
 *
 *   ACTIVE ──stuck / max executions / max memory──▶ DRAINING ─┐
 *      └────────────recycle command─────────────▶ PENDING_KILL ┴─only stuck left──▶ EXITING ──▶ gone
 */
import {
  backoffMs,
  DEFAULT_POOL_SEMI_SPACE_MB,
  poolNodeFlags,
  type ProcessSnapshot,
} from '@warden/core';
import { readMemory } from '../memory.js';
import type { FromPool, RunRequest, ToPool } from '../protocol.js';
import { forkRunner, sendTo, terminate, type ForkedProcess } from './child-processes.js';
import { SupervisedExecutor, type RunnerProcess, type TrackedRun } from './supervised-executor.js';
import { recycleRefusal, type RecycleResult } from './types.js';

const POOL_ENTRY = new URL('../runner/pool-main.js', import.meta.url);
/** A pool process that has not started its threads by then is killed and started again. */
const POOL_READY_TIMEOUT_MS = 30_000;
const MAX_RESPAWN_DELAY_MS = 30_000;
const DEFAULT_THREAD_BLOCKED_MS = 5000;
/** The pool process answers a verdict at once; this bounds a pool that does not. */
const VERDICT_TIMEOUT_MS = 2500;
const DEFAULT_THREAD_IDLE_MS = 60_000;

interface Pool extends RunnerProcess {
  drainingSinceMs?: number;
  ready: boolean;
  threads: number;
  /** Runs placed here and not yet reported, stuck ones included (they leave when it exits). */
  runs: Map<string, TrackedRun>;
  jobsProcessed: number;
  readyTimer?: NodeJS.Timeout;
}

export class ThreadExecutor extends SupervisedExecutor {
  readonly mode = 'thread' as const;
  private readonly pools = new Map<number, Pool>();
  private readonly poolOf = new Map<string, Pool>();
  /** Runs waiting for an ACTIVE pool process to be ready. */
  private waiting: TrackedRun[] = [];
  private active?: Pool;
  private generation = 0;
  private failedStarts = 0;
  private respawnTimer?: NodeJS.Timeout;
  private firstStart?: { resolve(): void; reject(error: Error): void };
  /** Pending answers to `verdict`, by execution id. */
  private readonly verdicts = new Map<string, () => void>();

  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.spawnActive('worker start-up');
    });
  }

  protected override liveProcesses(): ForkedProcess[] {
    return [...this.pools.values()].map((pool) => pool.process);
  }

  freeSlots(): number {
    const pool = this.active;
    if (this.stopping || !pool?.ready || pool.state !== 'ACTIVE') return 0;
    const globalFree = this.options.maxConcurrency - this.healthyCount();
    return Math.max(0, Math.min(globalFree, this.poolSlotsFree(pool) - this.waiting.length));
  }

  /**
   * Free thread slots of a pool. A thread with a cancelled execution still in it, a blocked thread
   * and a thread running an isolated execution take no more work: all their slots count as used.
   */
  private poolSlotsFree(pool: Pool): number {
    const perThread = this.options.executionsPerThread;
    let used = 0;
    const byThread = new Map<number, { runs: number; tainted: boolean }>();
    for (const run of pool.runs.values()) {
      used++;
      const threadId = run.placement?.threadId;
      if (threadId === undefined) {
        // Not started yet: an isolated run will take a whole thread.
        if (run.isolate) used += perThread - 1;
        continue;
      }
      const thread = byThread.get(threadId) ?? { runs: 0, tainted: false };
      thread.runs++;
      thread.tainted ||= run.state !== 'RUNNING' || run.blocking || run.isolate;
      byThread.set(threadId, thread);
    }
    for (const thread of byThread.values()) if (thread.tainted) used += perThread - thread.runs;
    return pool.threads * perThread - used;
  }

  private threadBlockedMs(): number {
    return this.options.threadBlockedMs ?? DEFAULT_THREAD_BLOCKED_MS;
  }

  private spawnActive(reason: string): void {
    if (this.stopping || this.active) return;
    const generation = ++this.generation;
    const forked = forkRunner(POOL_ENTRY, {
      env: this.runnerEnv(),
      execArgv: poolNodeFlags(this.options.poolSemiSpaceMb ?? DEFAULT_POOL_SEMI_SPACE_MB),
    });
    const now = Date.now();
    const pool: Pool = {
      process: forked,
      pid: forked.pid,
      generation,
      state: 'ACTIVE',
      stateSince: new Date(now).toISOString(),
      startedAt: new Date(now).toISOString(),
      startedAtMs: now,
      ready: false,
      threads: 0,
      runs: new Map(),
      jobsProcessed: 0,
    };
    this.pools.set(pool.pid, pool);
    this.active = pool;
    this.options.logger.info({ pid: pool.pid, generation, reason }, 'starting a pool process');
    this.emit({
      type: 'process_state',
      pid: pool.pid,
      generation,
      from: null,
      to: 'ACTIVE',
      reason,
    });
    forked.child.on('message', (message: FromPool) => this.onMessage(pool, message));
    forked.child.on('error', (error) =>
      this.options.logger.error({ err: error, pid: pool.pid }, 'pool process error'),
    );
    void forked.exited.then(({ code, signal }) => this.onExit(pool, code, signal));
    sendTo(forked.child, {
      type: 'init',
      options: {
        generation,
        threads: this.options.threadPoolSize,
        executionsPerThread: this.options.executionsPerThread,
        threadMaxHeapMb: this.options.threadMaxHeapMb,
        threadBlockedMs: this.threadBlockedMs(),
        threadIdleMs: this.options.threadIdleMs ?? DEFAULT_THREAD_IDLE_MS,
      },
    } satisfies ToPool);
    pool.readyTimer = setTimeout(() => {
      if (pool.ready) return;
      this.options.logger.error(
        { pid: pool.pid, generation },
        `pool process not ready within ${POOL_READY_TIMEOUT_MS / 1000} s; killing it`,
      );
      void terminate(pool.process, this.options.killCapMs);
    }, POOL_READY_TIMEOUT_MS);
  }

  private onMessage(pool: Pool, message: FromPool): void {
    switch (message.type) {
      case 'ready': {
        pool.ready = true;
        // Threads start on demand up to the pool size; the first is warm already.
        pool.threads = this.options.threadPoolSize;
        clearTimeout(pool.readyTimer);
        this.failedStarts = 0;
        this.options.logger.info(
          { pid: pool.pid, generation: pool.generation, threads: pool.threads },
          'pool process ready',
        );
        this.firstStart?.resolve();
        this.firstStart = undefined;
        this.placeWaiting();
        this.emit({ type: 'capacity' });
        return;
      }
      case 'started': {
        const run = pool.runs.get(message.executionId);
        if (!run) return;
        run.placement = { pid: pool.pid, generation: pool.generation, threadId: message.threadId };
        run.hooks.onStarted?.(run.placement);
        return;
      }
      case 'log':
        pool.runs.get(message.executionId)?.addLog(message.line);
        return;
      case 'result': {
        const run = pool.runs.get(message.executionId);
        if (!run) return;
        pool.runs.delete(message.executionId);
        this.poolOf.delete(message.executionId);
        pool.jobsProcessed++;
        this.settle(run, message.result);
        if (pool.state === 'ACTIVE' && pool.jobsProcessed >= this.options.maxExecutionsPerProcess) {
          this.drain(
            pool,
            'DRAINING',
            `ran ${pool.jobsProcessed} executions (WORKER_MAX_EXECUTIONS_PER_PROCESS=${this.options.maxExecutionsPerProcess})`,
          );
        }
        this.exitIfDrained(pool);
        this.placeWaiting();
        return;
      }
      case 'handback':
        for (const executionId of message.executionIds) {
          const run = pool.runs.get(executionId);
          pool.runs.delete(executionId);
          this.poolOf.delete(executionId);
          if (run && !run.settled) this.waiting.push(run);
        }
        this.exitIfDrained(pool);
        this.placeWaiting();
        return;
      case 'thread_blocked': {
        const culprit = message.culprit ? pool.runs.get(message.culprit) : undefined;
        if (culprit) {
          culprit.blocking = true;
          culprit.collateral = message.collateral;
        } else {
          // Nobody could be blamed: the thread takes no work, and all on it stay on the ladder.
          for (const run of pool.runs.values()) {
            if (run.placement?.threadId === message.threadId) run.blocking = true;
          }
        }
        this.options.logger.warn(
          {
            pid: pool.pid,
            generation: pool.generation,
            threadId: message.threadId,
            blockedMs: message.blockedMs,
            culprit: culprit
              ? { executionId: culprit.job.executionId, workflowId: culprit.job.workflowId }
              : undefined,
            collateral: message.collateral,
          },
          culprit
            ? `thread blocked by execution ${culprit.job.executionId} (${culprit.job.workflowId}); its ${message.collateral.length} neighbours go back for a retry`
            : 'thread blocked, and the execution holding it could not be told apart',
        );
        this.emit({ type: 'capacity' });
        return;
      }
      case 'verdict':
        this.verdicts.get(message.executionId)?.();
        return;
      case 'thread_stack': {
        const run = pool.runs.get(message.executionId);
        if (run) run.stack = message.stack;
        return;
      }
      case 'thread_exited':
        this.options.logger.warn(
          {
            pid: pool.pid,
            generation: pool.generation,
            threadId: message.threadId,
            replacement: message.replacementThreadId,
          },
          `pool thread exited: ${message.reason}`,
        );
        return;
    }
  }

  private onExit(pool: Pool, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(pool.readyTimer);
    this.pools.delete(pool.pid);
    const expected = pool.state === 'EXITING' || this.stopping;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    for (const [executionId, run] of pool.runs) {
      this.poolOf.delete(executionId);
      if (run.settled || run.state === 'STUCK') continue;
      if (this.stopping) {
        this.abandon(run, 'the worker stopped before the execution finished');
      } else if (!run.placement && run.state === 'RUNNING') {
        // It never reached a thread: nothing of it ran, so the next process can run it.
        this.waiting.push(run);
      } else {
        this.settle(run, {
          ok: false,
          error: {
            kind: 'lost',
            name: 'PoolProcessExited',
            message: `its pool process (pid ${pool.pid}, generation ${pool.generation}) exited unexpectedly (${how})`,
          },
        });
      }
    }
    pool.runs.clear();
    if (!expected) {
      this.options.logger.error(
        { pid: pool.pid, generation: pool.generation, code, signal },
        `pool process exited unexpectedly (${how})`,
      );
    }
    this.emit({
      type: 'process_state',
      pid: pool.pid,
      generation: pool.generation,
      from: pool.state,
      to: null,
      reason: expected ? `exited (${how})` : `exited unexpectedly (${how})`,
    });
    this.emit({
      type: 'process_exit',
      pid: pool.pid,
      generation: pool.generation,
      uptimeMs: Date.now() - pool.startedAtMs,
      drainMs: pool.drainingSinceMs !== undefined ? Date.now() - pool.drainingSinceMs : undefined,
      expected,
    });
    if (pool !== this.active) {
      this.placeWaiting();
      return;
    }
    this.active = undefined;
    if (!pool.ready) {
      this.failedStarts++;
      if (this.firstStart) {
        this.firstStart.reject(
          new Error(`the pool process exited before its threads were ready (${how})`),
        );
        this.firstStart = undefined;
        return;
      }
    }
    if (this.stopping) return;
    const delay = backoffMs(this.failedStarts, 500, MAX_RESPAWN_DELAY_MS);
    this.respawnTimer = setTimeout(
      () => this.spawnActive(`replacing pid ${pool.pid}, which exited (${how})`),
      delay,
    );
  }

  protected place(run: TrackedRun): void {
    run.isolate = this.mustIsolate(run.job.workflowId);
    this.waiting.push(run);
    this.placeWaiting();
  }

  private placeWaiting(): void {
    const pool = this.active;
    if (!pool?.ready || pool.state !== 'ACTIVE') return;
    while (this.waiting.length && this.poolSlotsFree(pool) > 0) {
      const run = this.waiting.shift()!;
      if (run.settled) continue;
      const request: RunRequest = {
        executionId: run.job.executionId,
        workflowId: run.job.workflowId,
        moduleUrl: this.moduleUrlOf(run.job.workflowId),
        input: run.job.input,
        attempt: run.job.attempt,
        ...(run.isolate ? { isolate: true } : {}),
      };
      pool.runs.set(request.executionId, run);
      this.poolOf.set(request.executionId, pool);
      // If the channel is already closed the pool is exiting; its exit handler re-places the run.
      sendTo(pool.process.child, { type: 'run', request } satisfies ToPool);
    }
  }

  protected cancel(run: TrackedRun, reason: string): void {
    const pool = this.poolOf.get(run.job.executionId);
    if (pool) {
      sendTo(pool.process.child, {
        type: 'cancel',
        executionId: run.job.executionId,
        reason,
      } satisfies ToPool);
      return;
    }
    const index = this.waiting.indexOf(run);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.settle(run, {
        ok: false,
        error: {
          kind: 'aborted',
          name: 'CancellationError',
          message: 'it never started: no pool process was ready in time',
        },
      });
    }
  }

  /** Asks the pool whether a neighbour holds this run's thread (then it comes back collateral). */
  protected override async beforeStuck(run: TrackedRun): Promise<void> {
    const pool = this.poolOf.get(run.job.executionId);
    if (!pool || !pool.process.child.connected) return;
    const { executionId } = run.job;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, VERDICT_TIMEOUT_MS);
      const verdicts = this.verdicts;
      function done(): void {
        clearTimeout(timer);
        verdicts.delete(executionId);
        resolve();
      }
      this.verdicts.set(executionId, done);
      sendTo(pool.process.child, { type: 'verdict', executionId } satisfies ToPool);
    });
  }

  protected contain(run: TrackedRun): void {
    const pool = this.poolOf.get(run.job.executionId);
    if (!pool) return;
    this.drain(
      pool,
      'DRAINING',
      `execution ${run.job.executionId} (${run.job.workflowId}) is stuck`,
    );
    this.exitIfDrained(pool);
  }

  /** Stops a pool process taking work and starts its replacement at once. */
  private drain(pool: Pool, to: 'DRAINING' | 'PENDING_KILL', reason: string): boolean {
    if (pool.state !== 'ACTIVE') return false;
    this.setProcessState(pool, to, reason);
    pool.drainingSinceMs = Date.now();
    sendTo(pool.process.child, { type: 'drain' } satisfies ToPool);
    this.emit({ type: 'recycle', pid: pool.pid, generation: pool.generation, reason });
    if (this.active === pool) {
      this.active = undefined;
      this.spawnActive(`replacing pid ${pool.pid} generation ${pool.generation}: ${reason}`);
    }
    return true;
  }

  /** A draining process exits once nothing but recorded stuck executions is left in it. */
  private exitIfDrained(pool: Pool): void {
    if (pool.state !== 'DRAINING' && pool.state !== 'PENDING_KILL') return;
    for (const run of pool.runs.values()) if (!(run.state === 'STUCK' && run.settled)) return;
    const stuck = pool.runs.size;
    this.setProcessState(
      pool,
      'EXITING',
      stuck ? `only stuck executions remain (${stuck})` : 'its executions have finished',
    );
    void terminate(pool.process, this.options.killCapMs);
  }

  /** Drains the ACTIVE process once its memory is above WORKER_MAX_PROCESS_MEMORY_MB. */
  override checkMemory(): void {
    for (const pool of [...this.pools.values()]) {
      // Only after it has done work: a process that starts above the limit would otherwise be
      // replaced by another just like it, forever.
      if (pool.state !== 'ACTIVE' || pool.jobsProcessed === 0) continue;
      const memory = readMemory(pool.pid);
      if (
        memory &&
        memory.rssMb > this.options.maxProcessMemoryMb &&
        this.drain(
          pool,
          'DRAINING',
          `resident memory ${Math.round(memory.rssMb)} MB is above WORKER_MAX_PROCESS_MEMORY_MB=${this.options.maxProcessMemoryMb}`,
        )
      ) {
        this.exitIfDrained(pool);
      }
    }
  }

  snapshot(): ProcessSnapshot[] {
    return [...this.pools.values()].map((pool) =>
      this.describeProcess(
        pool,
        pool.jobsProcessed,
        [...pool.runs.values()].map((run) => run.snapshot()),
      ),
    );
  }

  recycle(pid: number, generation: number, requestedBy: string): RecycleResult {
    const pool = this.pools.get(pid);
    const refusal = recycleRefusal(pid, generation, pool, 'pool process');
    if (refusal || !pool) return refusal as RecycleResult;
    this.drain(pool, 'PENDING_KILL', `recycle requested by ${requestedBy}`);
    const replacement = this.active;
    this.exitIfDrained(pool);
    return {
      status: 'DONE',
      outcome:
        `pid ${pid} generation ${generation} is PENDING_KILL and exits once its healthy executions finish` +
        (replacement
          ? `; replacement pid ${replacement.pid} generation ${replacement.generation} started`
          : ''),
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.respawnTimer);
    for (const run of this.waiting.splice(0)) {
      this.abandon(run, 'the worker stopped before the execution started');
    }
    await Promise.all(
      [...this.pools.values()].map((pool) => {
        this.setProcessState(pool, 'EXITING', 'the worker is stopping');
        return terminate(pool.process, this.options.killCapMs);
      }),
    );
  }
}
