/**
 * The stuck ladder, shared by both executors. The clock lives here, in the orchestrator, never in
 * the runner: a thread spinning in `while (true) {}` or parked in `Atomics.wait` runs no timers.
 *
 *   RUNNING ──timeout──▶ COMPLETING (AbortSignal fired) ──grace──▶ STUCK
 *      │                     │                                     │
 *   result: SUCCESS /     result: FAILED / ExecutionTimeout      onStuck() records it, then the
 *   FAILED                                                       executor contains it
 */
import type {
  ExecutionRef,
  ProcessSnapshot,
  ProcessState,
  RunState,
  RunningExecutionSnapshot,
  WorkerMode,
} from '@warden/core';
import { MAX_LOG_LINES } from '@warden/core/log-bounds';
import { readMemory } from '../memory.js';
import type { RunResult } from '../protocol.js';
import { workflowEnvironment } from '../workflow-env.js';
import { sendTo, type ForkedProcess } from './child-processes.js';
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

/** The circuit breaker's default window, until the worker has read the configured one. */
const DEFAULT_ISOLATION_WINDOW_MS = 60 * 60_000;

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** One execution as the orchestrator tracks it. */
export class TrackedRun {
  state: RunState = 'RUNNING';
  /** The outcome was delivered (or the stuck record written): nothing more may change it. */
  settled = false;
  readonly dispatchedAtMs = Date.now();
  readonly startedAt = new Date(this.dispatchedAtMs).toISOString();
  completingSinceMs?: number;
  /** Set when an operator cancelled it (rather than its timeout firing). */
  cancelledBy?: string;
  placement?: Placement;
  readonly logs: string[] = [];
  timeoutTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  /** Placed to run alone on a thread. */
  isolate = false;
  /** Thread mode: its code holds a thread whose event loop stopped turning. */
  blocking = false;
  /** Thread mode forensics for its stuck record: the blocked thread's frames, its neighbours. */
  stack?: string[];
  collateral?: ExecutionRef[];

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

/** What either executor keeps of a runner process it forked (a child, or a pool process). */
export interface RunnerProcess {
  process: ForkedProcess;
  pid: number;
  generation: number;
  state: ProcessState;
  stateSince: string;
  startedAt: string;
  startedAtMs: number;
}

export abstract class SupervisedExecutor implements Executor {
  abstract readonly mode: WorkerMode;
  /** Executions whose outcome is not settled yet (stuck ones leave once recorded). */
  protected readonly runs = new Map<string, TrackedRun>();
  protected stopping = false;
  /** Workflows that blocked a thread or overflowed a heap, and when they last did. */
  private readonly offences = new Map<string, number>();

  constructor(protected readonly options: ExecutorOptions) {}

  /** The environment of a runner started now. */
  protected runnerEnv(): Record<string, string> {
    return this.options.runnerEnv?.() ?? workflowEnvironment(process.env, []);
  }

  /** Every live runner process, to hand refreshed settings to (each executor lists its own). */
  protected liveProcesses(): ForkedProcess[] {
    return [];
  }

  updateRunnerEnv(): void {
    const env = this.runnerEnv();
    for (const forked of this.liveProcesses()) sendTo(forked.child, { type: 'env', env });
  }

  /** Moves a runner process to `to` and announces it (a process_state event), unless it is there. */
  protected setProcessState(runner: RunnerProcess, to: ProcessState, reason: string): void {
    if (runner.state === to) return;
    const from = runner.state;
    runner.state = to;
    runner.stateSince = new Date().toISOString();
    this.options.logger.info(
      { pid: runner.pid, generation: runner.generation, from, to, reason },
      'runner process state changed',
    );
    this.emit({
      type: 'process_state',
      pid: runner.pid,
      generation: runner.generation,
      from,
      to,
      reason,
    });
  }

  /** A runner process as heartbeats and the API show it, its memory read now. */
  protected describeProcess(
    runner: RunnerProcess,
    jobsProcessed: number,
    executions: RunningExecutionSnapshot[],
  ): ProcessSnapshot {
    const memory = readMemory(runner.pid);
    return {
      pid: runner.pid,
      generation: runner.generation,
      state: runner.state,
      stateSince: runner.stateSince,
      startedAt: runner.startedAt,
      memoryMb: memory?.mb ?? 0,
      memoryKind: memory?.kind ?? 'rss',
      jobsProcessed,
      executions,
    };
  }

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
  /** Last look before a run is declared stuck; it may settle the run otherwise. */
  protected beforeStuck(_run: TrackedRun): Promise<void> {
    return Promise.resolve();
  }

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

  /**
   * An operator's cancel: the same ladder as a timeout (AbortSignal, grace period, then stuck),
   * but what stops in time ends Cancelled. False when the execution is not running here (or is
   * already being stopped).
   */
  cancelExecution(executionId: string, requestedBy: string): boolean {
    const run = this.runs.get(executionId);
    if (!run || run.settled || run.state !== 'RUNNING') return false;
    run.cancelledBy = requestedBy;
    this.enterCompleting(run, `the execution was cancelled by ${requestedBy}`);
    return true;
  }

  private timeOut(run: TrackedRun): void {
    if (run.settled || run.state !== 'RUNNING') return;
    this.enterCompleting(run, `the execution timed out after ${seconds(run.job.timeoutMs)}`);
  }

  private enterCompleting(run: TrackedRun, reason: string): void {
    clearTimeout(run.timeoutTimer);
    run.state = 'COMPLETING';
    run.completingSinceMs = Date.now();
    this.options.logger.info(
      { executionId: run.job.executionId, workflowId: run.job.workflowId, reason },
      'cancelling an execution',
    );
    this.cancel(run, reason);
    this.emit({ type: 'capacity' });
    run.graceTimer = setTimeout(() => void this.declareStuck(run), this.options.cancelGraceMs);
  }

  private async declareStuck(run: TrackedRun): Promise<void> {
    if (run.settled || run.state !== 'COMPLETING') return;
    // Thread mode: one held back by a neighbour that blocks its thread is collateral, not stuck.
    await this.beforeStuck(run);
    if (run.settled || run.state !== 'COMPLETING') return;
    run.state = 'STUCK';
    if (run.blocking) this.offended(run.job.workflowId);
    const elapsedMs = Date.now() - run.dispatchedAtMs;
    const { executionId, workflowId, timeoutMs } = run.job;
    const graceMs = this.options.cancelGraceMs;
    const message =
      `did not respond to cancellation within the ${seconds(graceMs)} grace period: ` +
      (run.cancelledBy
        ? `cancelled by ${run.cancelledBy}`
        : `cancelled at its ${seconds(timeoutMs)} timeout`) +
      `, still running ${seconds(elapsedMs)} after it started`;
    this.options.logger.warn({ executionId, workflowId, elapsedMs }, `execution stuck: ${message}`);
    try {
      await run.hooks.onStuck({
        elapsedMs,
        timeoutMs,
        graceMs,
        placement: run.placement,
        message,
        logs: [...run.logs],
        ...(run.stack ? { stack: run.stack } : {}),
        ...(run.collateral?.length ? { collateral: run.collateral } : {}),
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
    if (run.cancelledBy !== undefined && run.state === 'COMPLETING') {
      // Whatever it returned, it stopped within the grace period after a cancel.
      return {
        status: 'FAILED',
        errorType: 'Cancelled',
        errorMessage: `cancelled by ${run.cancelledBy}; it stopped ${stoppedAfter} later, within the grace period${result.ok ? ', and its result was discarded' : ` (${result.error.name}: ${result.error.message})`}`,
        ...common,
      };
    }
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
    if (kind === 'collateral') {
      return {
        status: 'COLLATERAL',
        reason: message,
        ...(result.error.culprit ? { culprit: result.error.culprit } : {}),
        ...common,
      };
    }
    if (kind === 'oom') {
      this.offended(run.job.workflowId);
      return {
        status: 'FAILED',
        errorType: 'OutOfMemory',
        errorMessage: `ran out of memory: ${message} (WORKER_THREAD_MAX_HEAP_MB=${this.options.threadMaxHeapMb})`,
        ...(result.error.collateral?.length ? { collateral: result.error.collateral } : {}),
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

  /** The workflow blocked a thread or overflowed a heap: it runs alone for the breaker's window. */
  protected offended(workflowId: string): void {
    this.offences.set(workflowId, Date.now());
  }

  /**
   * Whether a run must have a thread of its own: its module says so (`isolation: 'thread'`), or it
   * blocked a thread or overflowed a heap on this worker within the circuit breaker's window.
   */
  protected mustIsolate(workflowId: string): boolean {
    if (this.options.catalog.get(workflowId)?.isolation === 'thread') return true;
    const at = this.offences.get(workflowId);
    if (at === undefined) return false;
    const windowMs = this.options.isolationWindowMs?.() ?? DEFAULT_ISOLATION_WINDOW_MS;
    if (Date.now() - at < windowMs) return true;
    this.offences.delete(workflowId);
    return false;
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
