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
  | 'lost';

export interface RunError {
  kind: RunErrorKind;
  name: string;
  message: string;
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

export type ToChild = { type: 'run'; request: RunRequest } | { type: 'cancel'; reason: string };
export type FromChild = RunnerEvent;

// Thread mode ------------------------------------------------------------------------------------

export interface PoolOptions {
  generation: number;
  threads: number;
  executionsPerThread: number;
  threadMaxHeapMb: number;
}

export type ToPool =
  | { type: 'init'; options: PoolOptions }
  | { type: 'run'; request: RunRequest }
  | { type: 'cancel'; executionId: string; reason: string }
  /** Take no new runs; hand back the ones not yet started. */
  | { type: 'drain' };

export type FromPool =
  | { type: 'ready'; threadIds: number[] }
  | { type: 'started'; executionId: string; threadId: number }
  | { type: 'log'; executionId: string; line: string }
  | { type: 'result'; executionId: string; threadId?: number; result: RunResult }
  /** Runs accepted but never started, returned when the pool drains. */
  | { type: 'handback'; executionIds: string[] }
  | {
      type: 'thread_exited';
      threadId: number;
      reason: string;
      /** The thread started in its place (while the pool is not draining). */
      replacementThreadId?: number;
    };

export type ToThread =
  { type: 'run'; request: RunRequest } | { type: 'cancel'; executionId: string; reason: string };

export type FromThread = { type: 'ready' } | RunnerEvent;

/** Keeps one IPC message (and the output stored later) bounded. */
export const MAX_OUTPUT_JSON_BYTES = 256 * 1024;
