/**
 * The executor contract: both executors (a process per execution, or a thread pool in recyclable
 * processes) run executions behind this one interface, so the SQS consumer and the worker runtime
 * do not know which one they drive.
 */
import type {
  ErrorType,
  ExecutionRef,
  Logger,
  ProcessSnapshot,
  ProcessState,
  RunState,
  WorkerMode,
} from '@warden/core';
import type { WorkflowCatalog } from '../catalog.js';

export interface ExecutionJob {
  executionId: string;
  workflowId: string;
  input: unknown;
  attempt: number;
  timeoutMs: number;
}

/** Where an execution runs: the process (pool process or child) and, in thread mode, the thread. */
export interface Placement {
  pid: number;
  generation: number;
  threadId?: number;
}

export interface StuckInfo {
  /** From dispatch to the moment it was declared stuck. */
  elapsedMs: number;
  timeoutMs: number;
  graceMs: number;
  placement?: Placement;
  /** For the record: what happened, in words. */
  message: string;
  logs: string[];
  /** Thread mode: the top frames of the thread it blocked, when the runtime could give them. */
  stack?: string[];
  /** Thread mode: the executions that shared its thread, sent back for a retry. */
  collateral?: ExecutionRef[];
}

export interface ExecutionHooks {
  /** The runner has the execution (its pid, generation and thread are known). */
  onStarted?(placement: Placement): void;
  /**
   * The execution ignored cancellation for the whole grace period. The executor contains it (kills
   * or drains its process) only after the promise settles: the record is written before anything
   * is killed.
   */
  onStuck(info: StuckInfo): Promise<void>;
}

export type ExecutionOutcome =
  | { status: 'SUCCESS'; output: unknown; logs: string[]; placement?: Placement }
  | {
      status: 'FAILED';
      errorType: ErrorType;
      errorMessage: string;
      logs: string[];
      placement?: Placement;
      /** OutOfMemory in thread mode: the executions that shared the thread, sent back for a retry. */
      collateral?: ExecutionRef[];
      /** CollateralFailure: the execution that blocked or overflowed the thread. */
      culprit?: ExecutionRef;
    }
  /**
   * Thread mode: another execution blocked or overflowed the thread this one shared. Not its
   * fault: it is retried on a healthy thread, never recorded stuck nor counted by the breaker.
   */
  | {
      status: 'COLLATERAL';
      /** The execution blamed; absent when the thread could not tell. */
      culprit?: ExecutionRef;
      reason: string;
      logs: string[];
      placement?: Placement;
    }
  /** Already recorded through `onStuck`. */
  | { status: 'STUCK'; elapsedMs: number }
  /** The worker is shutting down and stopped it unfinished: its message must go back. */
  | { status: 'ABANDONED'; reason: string };

export type RecycleResult = { status: 'DONE' | 'REJECTED'; outcome: string };

export type ExecutorEvent =
  | {
      type: 'process_state';
      pid: number;
      generation: number;
      from: ProcessState | null;
      to: ProcessState | null;
      reason: string;
    }
  | {
      type: 'process_exit';
      pid: number;
      generation: number;
      uptimeMs: number;
      /** From DRAINING / PENDING_KILL to exit, when it drained. */
      drainMs?: number;
      expected: boolean;
    }
  | { type: 'recycle'; pid: number; generation: number; reason: string }
  /** Free slots may have changed. */
  | { type: 'capacity' };

export interface ExecutorOptions {
  catalog: WorkflowCatalog;
  logger: Logger;
  maxConcurrency: number;
  cancelGraceMs: number;
  killCapMs: number;
  /** Heap limit of a pool thread, and of a process-mode child. */
  threadMaxHeapMb: number;
  /** Thread mode: V8 semi-space of a pool process and its threads; default in core's node-flags. */
  poolSemiSpaceMb?: number;
  threadPoolSize: number;
  executionsPerThread: number;
  maxExecutionsPerProcess: number;
  maxProcessMemoryMb: number;
  /**
   * The whole environment of each runner process it starts (workflow-env.ts builds it); default:
   * this process's allow-listed variables and no AWS credentials.
   */
  runnerEnv?: () => Record<string, string>;
  /** Thread mode: a thread whose event loop has not turned for this long is blocked. */
  threadBlockedMs?: number;
  /** Thread mode: an idle thread stops after this long (one stays warm). */
  threadIdleMs?: number;
  /**
   * How long a workflow that blocked a thread or overflowed a heap runs alone on a thread: the
   * circuit breaker's window (read at run time; it can change).
   */
  isolationWindowMs?(): number;
  onEvent?(event: ExecutorEvent): void;
}

export interface Executor {
  readonly mode: WorkerMode;
  /** Ready to run (thread mode: the first pool process and its threads are up). */
  start(): Promise<void>;
  /** How many more executions it can take now. */
  freeSlots(): number;
  execute(job: ExecutionJob, hooks: ExecutionHooks): Promise<ExecutionOutcome>;
  /** Every live process with its state, memory and executions. Reads only; changes nothing. */
  snapshot(): ProcessSnapshot[];
  /**
   * Drains an ACTIVE process above WORKER_MAX_PROCESS_MEMORY_MB (thread mode; a process per
   * execution has nothing to recycle). The worker calls it on every heartbeat.
   */
  checkMemory(): void;
  /** A recycle request for one process, named by pid and generation. */
  recycle(pid: number, generation: number, requestedBy: string): RecycleResult;
  /**
   * Fires a running execution's AbortSignal for an operator's cancel; the stuck ladder follows as
   * for a timeout. False when it does not run here.
   */
  cancelExecution(executionId: string, requestedBy: string): boolean;
  /** Terminates every process now; unfinished executions end ABANDONED. */
  stop(): Promise<void>;
  /** Gives every live runner process the current runnerEnv() (refreshed credentials). */
  updateRunnerEnv(): void;
}

export interface RunSnapshotSource {
  executionId: string;
  workflowId: string;
  state: RunState;
  startedAt: string;
  threadId?: number;
}

/**
 * The checks every executor makes before recycling a process: it must exist and be the
 * generation the command names (a stale click must not hit a newer process). Returns the answer
 * when the command stops here, or undefined when the process is ACTIVE and may be recycled.
 */
export function recycleRefusal(
  pid: number,
  generation: number,
  target: { generation: number; state: ProcessState } | undefined,
  kind: string,
): RecycleResult | undefined {
  if (!target) {
    return {
      status: 'REJECTED',
      outcome: `no ${kind} with pid ${pid} runs on this worker (it may have exited already): nothing changed`,
    };
  }
  if (target.generation !== generation) {
    return {
      status: 'REJECTED',
      outcome: `pid ${pid} is generation ${target.generation}, not ${generation}: the command names an older process, nothing changed`,
    };
  }
  if (target.state !== 'ACTIVE') {
    return {
      status: 'DONE',
      outcome: `pid ${pid} generation ${generation} is already ${target.state}`,
    };
  }
  return undefined;
}
