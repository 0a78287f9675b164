/**
 * The messages exchanged between the orchestrator (the worker's main process), its executor
 * processes and their threads. Every union is discriminated by `type`; replies are matched to
 * their request by `executionId`. Whatever is pending when the
 * other side exits is failed by the side that notices the exit, never left waiting.
 *
 *   orchestrator ──ToPool──▶ pool process ──ToThread──▶ thread      (thread mode)
 *   orchestrator ◀─FromPool── pool process ◀─FromThread── thread
 *   orchestrator ──ToChild──▶ child ──FromChild──▶ orchestrator       (process mode)
 */

/** One execution as a runner sees it. */
export interface RunRequest {
  executionId: string;
  workflowId: string;
  /** file: URL of the workflow module. */
  moduleUrl: string;
  input: unknown;
  attempt: number;
  /** Run alone on a thread (declared by the module, or earned by blocking or overflowing one). */
  isolate?: boolean;
}

/** An execution named by another's outcome. */
export interface ExecutionRef {
  executionId: string;
  workflowId: string;
}

/** Why a run did not return a value. */
export type RunErrorKind =
  /** The workflow threw or rejected. */
  | 'workflow'
  /** It threw after its signal fired (it stopped because it was cancelled). */
  | 'aborted'
  /** Its module could not be loaded in the runner. */
  | 'load'
  /** Its thread exceeded the heap limit. */
  | 'oom'
  /** Its thread or process went away before it finished. */
  | 'lost'
  /**
   * Another execution blocked or overflowed the thread it shared: not its fault, so it is retried
   * elsewhere and never counted as stuck.
   */
  | 'collateral';

export interface RunError {
  kind: RunErrorKind;
  name: string;
  message: string;
  /** `collateral`: the execution blamed (absent when the thread could not tell). */
  culprit?: ExecutionRef;
  /** `oom`: the executions that shared the thread and were sent back for a retry. */
  collateral?: ExecutionRef[];
}

export type RunResult =
  | { ok: true; /** JSON text of the output; absent for undefined. */ outputJson?: string }
  | { ok: false; error: RunError };

/** What every runner (child or thread) reports about an execution. */
export type RunnerEvent =
  | { type: 'started'; executionId: string }
  | { type: 'log'; executionId: string; line: string }
  | { type: 'result'; executionId: string; result: RunResult };

// Process mode -----------------------------------------------------------------------------------

/** The runner's whole environment, replaced when the workflow credentials are refreshed. */
export interface EnvUpdate {
  type: 'env';
  env: Record<string, string>;
}

export type ToChild =
  { type: 'run'; request: RunRequest } | { type: 'cancel'; reason: string } | EnvUpdate;
export type FromChild = RunnerEvent;

// Thread mode ------------------------------------------------------------------------------------

export interface PoolOptions {
  generation: number;
  threads: number;
  executionsPerThread: number;
  threadMaxHeapMb: number;
  /** A thread whose event loop has not turned for this long is blocked. */
  threadBlockedMs: number;
  /** A thread idle this long stops (the last one stays warm). */
  threadIdleMs: number;
}

/**
 * The words of a thread's liveness buffer (a SharedArrayBuffer the pool process reads while the
 * thread may be spinning): a counter the thread bumps on every turn of its event loop, and the tag
 * of the execution whose code runs on it right now (0: none).
 */
export const LIVENESS = { ticks: 0, current: 1, words: 2 } as const;

export type ToPool =
  | { type: 'init'; options: PoolOptions }
  | { type: 'run'; request: RunRequest }
  | { type: 'cancel'; executionId: string; reason: string }
  /** Take no new runs; hand back the ones not yet started. */
  | { type: 'drain' }
  /**
   * About to declare this execution stuck: if its thread is blocked by another execution right
   * now, it is collateral (sent back as such before the answer), not stuck.
   */
  | { type: 'verdict'; executionId: string }
  | EnvUpdate;

export type FromPool =
  | { type: 'ready'; threadIds: number[] }
  | { type: 'started'; executionId: string; threadId: number }
  | { type: 'log'; executionId: string; line: string }
  | { type: 'result'; executionId: string; threadId?: number; result: RunResult }
  /** Runs accepted but never started, returned when the pool drains. */
  | { type: 'handback'; executionIds: string[] }
  /**
   * A thread's event loop stopped turning. `culprit` holds it (when known); the others on it were
   * sent back as `collateral` results just before.
   */
  | {
      type: 'thread_blocked';
      threadId: number;
      culprit?: string;
      collateral: ExecutionRef[];
      blockedMs: number;
    }
  /** The answer to `verdict`, after any collateral result it caused. */
  | { type: 'verdict'; executionId: string }
  /** Where the blocked thread's code was: its top stack frames, read through the inspector. */
  | { type: 'thread_stack'; threadId: number; executionId: string; stack: string[] }
  | {
      type: 'thread_exited';
      threadId: number;
      reason: string;
      /** The thread started in its place (while the pool is not draining). */
      replacementThreadId?: number;
    };

export type ToThread =
  | {
      type: 'run';
      request: RunRequest;
      /** Written to the liveness buffer while it runs. */ tag: number;
    }
  | { type: 'cancel'; executionId: string; reason: string }
  /** Idle: stop the thread (the pool keeps one warm). */
  | { type: 'exit' }
  | EnvUpdate;

export type FromThread = { type: 'ready' } | RunnerEvent;

/** Keeps one IPC message (and the output stored later) bounded. */
export const MAX_OUTPUT_JSON_BYTES = 256 * 1024;
