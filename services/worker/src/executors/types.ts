/**
 * The executor contract: both executors (a process per execution, or a thread pool in recyclable
 * processes) run executions behind this one interface, so the SQS consumer and the worker runtime
 * do not know which one they drive.
 */
import type {
  ErrorType,
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
  threadPoolSize: number;
  executionsPerThread: number;
  maxExecutionsPerProcess: number;
  maxProcessMemoryMb: number;
  /** Extra environment for the processes it starts (defaults to this process's). */
  env?: NodeJS.ProcessEnv;
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
  /** Terminates every process now; unfinished executions end ABANDONED. */
  stop(): Promise<void>;
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
