/**
 * The stuck ladder, shared by both executors. The clock lives here, in the orchestrator, never in
 * the runner: a thread spinning in `while (true) {}` or parked in `Atomics.wait` runs no timers.
 *
 *   RUNNING ──timeout──▶ COMPLETING (AbortSignal fired) ──grace──▶ STUCK
 *      │                     │                                     │
 *   result: SUCCESS /     result: FAILED / ExecutionTimeout      onStuck() records it, then the
 *   FAILED                                                       executor contains it
 */
import type { ProcessSnapshot, RunState, RunningExecutionSnapshot, WorkerMode } from '@warden/core';
import { MAX_LOG_LINES } from '@warden/core/log-bounds';
import type { RunResult } from '../protocol.js';
import type {
  ExecutionHooks,
  ExecutionJob,
  ExecutionOutcome,
  Executor,
  ExecutorEvent,
  ExecutorOptions,
  Placement,
  RecycleResult,
} from './types.js';

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** One execution as the orchestrator tracks it. */
export class TrackedRun {
  state: RunState = 'RUNNING';
  /** The outcome was delivered (or the stuck record written): nothing more may change it. */
  settled = false;
  readonly dispatchedAtMs = Date.now();
  readonly startedAt = new Date(this.dispatchedAtMs).toISOString();
  completingSinceMs?: number;
  placement?: Placement;
  readonly logs: string[] = [];
  timeoutTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;

  constructor(
    readonly job: ExecutionJob,
    readonly hooks: ExecutionHooks,
    readonly deliver: (outcome: ExecutionOutcome) => void,
  ) {}

  addLog(line: string): void {
    this.logs.push(line);
    if (this.logs.length > MAX_LOG_LINES) this.logs.shift();
  }

  snapshot(): RunningExecutionSnapshot {
    return {
      executionId: this.job.executionId,
      workflowId: this.job.workflowId,
      state: this.state,
      startedAt: this.startedAt,
      ...(this.placement?.threadId !== undefined ? { threadId: this.placement.threadId } : {}),
    };
  }
}

export abstract class SupervisedExecutor implements Executor {
  abstract readonly mode: WorkerMode;
  /** Executions whose outcome is not settled yet (stuck ones leave once recorded). */
  protected readonly runs = new Map<string, TrackedRun>();
  protected stopping = false;

  constructor(protected readonly options: ExecutorOptions) {}

  abstract start(): Promise<void>;
  abstract freeSlots(): number;
  abstract snapshot(): ProcessSnapshot[];
  /** Nothing to recycle unless the executor keeps long-lived processes. */
  checkMemory(): void {}
  abstract recycle(pid: number, generation: number, requestedBy: string): RecycleResult;
  abstract stop(): Promise<void>;
  /** Hands the run to a runner. */
  protected abstract place(run: TrackedRun): void;
  /** Fires the run's AbortSignal in its runner. */
  protected abstract cancel(run: TrackedRun, reason: string): void;
  /** Isolates a stuck run (kill its child, or drain and replace its pool process). */
  protected abstract contain(run: TrackedRun): void;

  /** Executions running and not stuck: what counts against WORKER_MAX_CONCURRENCY. */
  protected healthyCount(): number {
    let count = 0;
    for (const run of this.runs.values()) if (run.state !== 'STUCK') count++;
    return count;
  }

  execute(job: ExecutionJob, hooks: ExecutionHooks): Promise<ExecutionOutcome> {
    if (this.stopping) {
      return Promise.resolve({ status: 'ABANDONED', reason: 'the worker is stopping' });
    }
    return new Promise((resolve) => {
      const run = new TrackedRun(job, hooks, resolve);
      this.runs.set(job.executionId, run);
      run.timeoutTimer = setTimeout(() => this.timeOut(run), job.timeoutMs);
      this.place(run);
    });
  }

  private timeOut(run: TrackedRun): void {
    if (run.settled || run.state !== 'RUNNING') return;
    run.state = 'COMPLETING';
    run.completingSinceMs = Date.now();
    this.options.logger.info(
      { executionId: run.job.executionId, workflowId: run.job.workflowId },
      'execution timed out; cancelling it',
    );
    this.cancel(run, `the execution timed out after ${seconds(run.job.timeoutMs)}`);
    this.emit({ type: 'capacity' });
    run.graceTimer = setTimeout(() => void this.declareStuck(run), this.options.cancelGraceMs);
  }

  private async declareStuck(run: TrackedRun): Promise<void> {
    if (run.settled || run.state !== 'COMPLETING') return;
    run.state = 'STUCK';
    const elapsedMs = Date.now() - run.dispatchedAtMs;
    const { executionId, workflowId, timeoutMs } = run.job;
    const graceMs = this.options.cancelGraceMs;
    const message =
      `did not respond to cancellation within the ${seconds(graceMs)} grace period: ` +
      `cancelled at its ${seconds(timeoutMs)} timeout, still running ${seconds(elapsedMs)} after it started`;
    this.options.logger.warn({ executionId, workflowId, elapsedMs }, `execution stuck: ${message}`);
    try {
      await run.hooks.onStuck({
        elapsedMs,
        timeoutMs,
        graceMs,
        placement: run.placement,
        message,
        logs: [...run.logs],
      });
    } catch (error) {
      // The hook retries what it can; containment must go on regardless.
      this.options.logger.error({ err: error, executionId }, 'recording a stuck execution failed');
    }
    run.settled = true;
    this.runs.delete(executionId);
    run.deliver({ status: 'STUCK', elapsedMs });
    this.contain(run);
    this.emit({ type: 'capacity' });
  }

  /** Delivers a runner's result, unless the run is already settled or being recorded as stuck. */
  protected settle(run: TrackedRun, result: RunResult): void {
    if (run.settled || run.state === 'STUCK') {
      if (run.state === 'STUCK') {
        this.options.logger.info(
          { executionId: run.job.executionId },
          'a stuck execution reported a result after all; its stuck record stands',
        );
      }
      return;
    }
    this.finish(run, this.outcomeOf(run, result));
  }

  protected abandon(run: TrackedRun, reason: string): void {
    if (run.settled || run.state === 'STUCK') return;
    this.finish(run, { status: 'ABANDONED', reason });
  }

  private finish(run: TrackedRun, outcome: ExecutionOutcome): void {
    clearTimeout(run.timeoutTimer);
    clearTimeout(run.graceTimer);
    run.settled = true;
    this.runs.delete(run.job.executionId);
    run.deliver(outcome);
    this.emit({ type: 'capacity' });
  }

  private outcomeOf(run: TrackedRun, result: RunResult): ExecutionOutcome {
    const common = { logs: [...run.logs], placement: run.placement };
    const timeout = seconds(run.job.timeoutMs);
    const stoppedAfter =
      run.completingSinceMs !== undefined ? seconds(Date.now() - run.completingSinceMs) : '';
    if (result.ok) {
      if (run.state === 'COMPLETING') {
        return {
          status: 'FAILED',
          errorType: 'ExecutionTimeout',
          errorMessage: `exceeded its ${timeout} timeout; it returned ${stoppedAfter} after cancellation, within the grace period, and its late result was discarded`,
          ...common,
        };
      }
      return {
        status: 'SUCCESS',
        output: result.outputJson === undefined ? undefined : JSON.parse(result.outputJson),
        ...common,
      };
    }
    const { kind, name, message } = result.error;
    if (kind === 'oom') {
      return {
        status: 'FAILED',
        errorType: 'OutOfMemory',
        errorMessage: `ran out of memory: ${message} (WORKER_THREAD_MAX_HEAP_MB=${this.options.threadMaxHeapMb})`,
        ...common,
      };
    }
    if (kind === 'lost') {
      return { status: 'FAILED', errorType: 'WorkerLost', errorMessage: message, ...common };
    }
    if (run.state === 'COMPLETING') {
      return {
        status: 'FAILED',
        errorType: 'ExecutionTimeout',
        errorMessage: `exceeded its ${timeout} timeout and stopped ${stoppedAfter} after cancellation (${name}: ${message})`,
        ...common,
      };
    }
    return {
      status: 'FAILED',
      errorType: 'WorkflowError',
      errorMessage:
        kind === 'load'
          ? `the workflow module could not be loaded: ${name}: ${message}`
          : `${name}: ${message}`,
      ...common,
    };
  }

  protected emit(event: ExecutorEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      this.options.logger.error({ err: error }, 'an executor event listener failed');
    }
  }

  protected moduleUrlOf(workflowId: string): string {
    const entry = this.options.catalog.get(workflowId);
    if (!entry) throw new Error(`workflow ${workflowId} is not in the catalog`);
    return entry.moduleUrl;
  }
}
