/**
 * Domain vocabulary shared by every part of Warden: execution and process states, error types,
 * the SQS message contract and the records kept in DynamoDB.
 */

export const EXECUTION_STATUSES = ['QUEUED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['SUCCESS', 'FAILED', 'CANCELLED'];
export const isTerminal = (status: ExecutionStatus): boolean => TERMINAL_STATUSES.includes(status);

export const ERROR_TYPES = [
  'ExecutionStuck',
  'ExecutionTimeout',
  'WorkflowBlacklisted',
  'InvalidMessage',
  'UnknownWorkflow',
  'WorkflowError',
  'OutOfMemory',
  'WorkerLost',
  'Cancelled',
  /** The record was written but the message could not be sent to the queue; submit again. */
  'EnqueueFailed',
  /**
   * Another execution blocked or overflowed the thread this one shared, on every delivery; the
   * message names that culprit. Never counted by the circuit breaker.
   */
  'CollateralFailure',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Lifecycle of a process that runs executions (a pool process, or a forked child). */
export const PROCESS_STATES = ['ACTIVE', 'DRAINING', 'PENDING_KILL', 'EXITING'] as const;
export type ProcessState = (typeof PROCESS_STATES)[number];

/** State of an execution while a worker holds it. */
export const RUN_STATES = ['RUNNING', 'COMPLETING', 'STUCK'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const WORKER_MODES = ['thread', 'process'] as const;
export type WorkerMode = (typeof WORKER_MODES)[number];

/**
 * LOST: the circuit-breaker sweep found no heartbeat for WORKER_LOST_AFTER_SECONDS (a worker
 * that died without SIGTERM). It leaves the silent and draining counts; an admin dismisses it.
 */
export const WORKER_STATUSES = ['ONLINE', 'STOPPING', 'OFFLINE', 'LOST'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

/** Identifiers are used as DynamoDB keys and in URLs, so keep them to a safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Largest accepted `input`, measured as UTF-8 JSON. SQS itself allows 256 KiB per message. */
export const MAX_INPUT_BYTES = 64 * 1024;
/** Longest timeout a submission may ask for (12 h, the SQS visibility ceiling). */
export const MAX_TIMEOUT_SECONDS = 12 * 60 * 60;

/**
 * Deepest accepted nesting of `input` (objects and arrays; a scalar is 0, `{"a": 1}` is 1).
 * DynamoDB refuses documents nested more than 32 levels, and the record holds `input` one level
 * down; 16 leaves room for that and for wrapping, and real inputs are far shallower.
 */
export const MAX_INPUT_DEPTH = 16;

/**
 * How deeply a JSON value nests objects and arrays, counted without recursion (so no input can
 * overflow the stack) and giving up once past `stopAfter`.
 */
export function jsonDepth(value: unknown, stopAfter = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > stopAfter) return deepest;
    for (const child of Object.values(node)) pending.push([child, level]);
  }
  return deepest;
}

/** Why an input nested too deeply is refused, the same words from the worker and the API. */
export const INPUT_DEPTH_RULE = `nests objects and arrays more than ${MAX_INPUT_DEPTH} levels deep; at most ${MAX_INPUT_DEPTH} are accepted (MAX_INPUT_DEPTH)`;
const inputDepthProblem = `input: ${INPUT_DEPTH_RULE}`;

/** The body of an SQS work message, as upstream services send it. */
export interface WorkMessage {
  executionId?: string;
  workflowId: string;
  input?: unknown;
  timeoutSeconds?: number;
  /**
   * Set by the worker when it sends a message again: the attempt this message carries (a retry
   * after a failure), and the earliest instant (epoch ms) it may run, for backoffs longer than
   * SQS's 15-minute DelaySeconds ceiling.
   */
  attempt?: number;
  notBefore?: number;
}

const WORK_MESSAGE_FIELDS = new Set([
  'executionId',
  'workflowId',
  'input',
  'timeoutSeconds',
  'attempt',
  'notBefore',
]);
const ID_RULE = 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"';

/**
 * Checks a work message by hand rather than with a schema library: the worker's orchestrator
 * validates every message and should not carry a validation library's code and heap for it (the
 * zod schemas of the API live in `@warden/core/schemas`). Problems read "field: problem; …".
 */
export function checkWorkMessage(
  body: unknown,
): { ok: true; value: WorkMessage } | { ok: false; problems: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: '(body): expected an object' };
  }
  const raw = body as Record<string, unknown>;
  const problems: string[] = [];
  const idProblem = (field: string, value: unknown, required: boolean): void => {
    if (value === undefined) {
      if (required) problems.push(`${field}: required, ${ID_RULE}`);
    } else if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
      problems.push(`${field}: ${ID_RULE}`);
    }
  };
  idProblem('executionId', raw.executionId, false);
  idProblem('workflowId', raw.workflowId, true);
  const timeout = raw.timeoutSeconds;
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' ||
      !Number.isFinite(timeout) ||
      timeout <= 0 ||
      timeout > MAX_TIMEOUT_SECONDS)
  ) {
    problems.push(`timeoutSeconds: must be a number above 0 and at most ${MAX_TIMEOUT_SECONDS}`);
  }
  const attempt = raw.attempt;
  if (
    attempt !== undefined &&
    (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1 || attempt > 1000)
  ) {
    problems.push('attempt: must be a whole number from 1 to 1000');
  }
  const notBefore = raw.notBefore;
  if (
    notBefore !== undefined &&
    (typeof notBefore !== 'number' || !Number.isInteger(notBefore) || notBefore <= 0)
  ) {
    problems.push('notBefore: must be a positive whole number (epoch milliseconds)');
  }
  if ('input' in raw && jsonDepth(raw.input, MAX_INPUT_DEPTH) > MAX_INPUT_DEPTH) {
    problems.push(inputDepthProblem);
  }
  const unknown = Object.keys(raw).filter((key) => !WORK_MESSAGE_FIELDS.has(key));
  if (unknown.length) problems.push(`(body): unrecognized keys: ${unknown.join(', ')}`);
  if (problems.length) return { ok: false, problems: problems.join('; ') };
  return {
    ok: true,
    value: {
      workflowId: raw.workflowId as string,
      ...(raw.executionId !== undefined ? { executionId: raw.executionId as string } : {}),
      ...('input' in raw ? { input: raw.input } : {}),
      ...(timeout !== undefined ? { timeoutSeconds: timeout as number } : {}),
      ...(attempt !== undefined ? { attempt: attempt as number } : {}),
      ...(notBefore !== undefined ? { notBefore: notBefore as number } : {}),
    },
  };
}

export interface ExecutionRecord {
  executionId: string;
  workflowId: string;
  status: ExecutionStatus;
  /** ISO-8601 instants. `queuedAt` is set for every record (from SQS SentTimestamp when untracked). */
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Milliseconds between queuedAt and startedAt, and between startedAt and finishedAt. */
  queueTimeMs?: number;
  durationMs?: number;
  attempt?: number;
  timeoutSeconds?: number;
  input?: unknown;
  output?: unknown;
  errorType?: ErrorType;
  errorMessage?: string;
  logs?: string[];
  workerId?: string;
  pid?: number;
  threadId?: number;
  generation?: number;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  submittedBy?: string;
  expiresAt?: number;
  /** Set when the sweep failed it because SQS had moved its message to the dead-letter queue. */
  deadLetteredAt?: string;
  /** A stuck execution that blocked its thread: the top frames of that thread's stack. */
  stack?: string[];
  /** A stuck or out-of-memory execution: the executions that shared its thread and were retried. */
  collateral?: ExecutionRef[];
  /** A CollateralFailure: the execution that blocked or overflowed the thread. */
  culprit?: ExecutionRef;
  /** Executor mode and version of the worker that last wrote it (claim, outcome, unrun failure). */
  mode?: WorkerMode;
  version?: string;
  /** The execution this one re-runs (same workflow and input). */
  rerunOf?: string;
  /** Each failed attempt's error, oldest first (bounded by the retry policy's attempts). */
  attemptErrors?: AttemptError[];
  /** When a retry is due (set while it waits in the queue for its backoff). */
  retryAt?: string;
  /** A cancel was asked for while it ran; the worker fires its AbortSignal. */
  cancelRequestedAt?: string;
  cancelRequestedBy?: string;
}

/** An execution named by another's record: the culprit of a thread, or its neighbours. */
export interface ExecutionRef {
  executionId: string;
  workflowId: string;
}

export interface AttemptError {
  attempt: number;
  errorType: ErrorType;
  errorMessage: string;
  finishedAt: string;
}

/** Most attempts a retry policy may ask for (it bounds the record's list of attempt errors). */
export const MAX_RETRY_ATTEMPTS = 10;
/** SQS DelaySeconds ceiling; longer backoffs wait in hops of at most this. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * A workflow's retry policy: up to `attempts` runs in all, the n-th retry waiting
 * `backoffSeconds * backoffRate^(n-1)`.
 */
export interface RetryPolicy {
  attempts: number;
  backoffSeconds: number;
  backoffRate?: number;
}

/** Seconds to wait before attempt `nextAttempt` (2 for the first retry). */
export const retryDelaySeconds = (policy: RetryPolicy, nextAttempt: number): number =>
  Math.round(policy.backoffSeconds * (policy.backoffRate ?? 1) ** Math.max(0, nextAttempt - 2));

/** Error types a retry policy retries. WorkerLost only for idempotent workflows. */
export function isRetryable(errorType: ErrorType, idempotent: boolean): boolean {
  if (errorType === 'WorkerLost') return idempotent;
  return ['WorkflowError', 'ExecutionTimeout', 'OutOfMemory'].includes(errorType);
}

/**
 * Whether attempt `attempt`, failed with `errorType`, is followed by another under the workflow's
 * policy: the worker's retry of a failed attempt and the sweep's handling of a lost worker's
 * executions both ask this, so they agree.
 */
export function retriesAfter(
  workflow: { retry?: RetryPolicy; idempotent?: boolean },
  attempt: number,
  errorType: ErrorType,
): boolean {
  const policy = workflow.retry;
  if (!policy || attempt >= policy.attempts) return false;
  return isRetryable(errorType, Boolean(workflow.idempotent));
}

/** A workflow held: its messages wait in the queue until it is resumed. */
export interface WorkflowPause {
  workflowId: string;
  reason: string;
  pausedAt: string;
  pausedBy: string;
}

export interface RunningExecutionSnapshot {
  executionId: string;
  workflowId: string;
  state: RunState;
  startedAt: string;
  threadId?: number;
}

export interface ProcessSnapshot {
  pid: number;
  generation: number;
  state: ProcessState;
  /** When the process entered its current state. */
  stateSince: string;
  startedAt: string;
  /** Resident memory in MB; PSS where the platform offers it (see memoryKind). */
  memoryMb: number;
  memoryKind: 'pss' | 'rss';
  jobsProcessed: number;
  executions: RunningExecutionSnapshot[];
}

export interface WorkflowInfo {
  id: string;
  name: string;
  timeoutSeconds: number;
  /** Absent: a failed execution is not retried. */
  retry?: RetryPolicy;
  /** Safe to run twice: a WorkerLost failure is retried too. */
  idempotent?: boolean;
}

export interface WorkerRecord {
  workerId: string;
  mode: WorkerMode;
  version: string;
  hostname: string;
  taskArn?: string;
  /** Pid of the worker's main process (the orchestrator); lets the local stack signal it. */
  mainPid: number;
  startedAt: string;
  lastHeartbeatAt: string;
  status: WorkerStatus;
  /** When the sweep marked it LOST. */
  lostAt?: string;
  capacity: number;
  processes: ProcessSnapshot[];
  workflows: WorkflowInfo[];
  expiresAt?: number;
}

/**
 * One row of a worker's history, kept for the rollout comparison (WorkerSamples table):
 * `heartbeat` carries the executions in flight and the worker's memory at that moment;
 * `recycle` and `exit` are a pool process being replaced and ending.
 */
export interface WorkerSample {
  mode: WorkerMode;
  /** `${at}#${workerId}#${kind}#${seq}`: sorts by time within a mode, unique per row. */
  sampleKey: string;
  at: string;
  workerId: string;
  version: string;
  kind: 'heartbeat' | 'recycle' | 'exit';
  /** heartbeat: executions the worker holds (claimed, not yet recorded). */
  inFlight?: number;
  /** heartbeat: PSS of the orchestrator and its processes (RSS where PSS is unreadable). */
  memoryMb?: number;
  memoryKind?: 'pss' | 'rss';
  /** exit: age of the pool process, and its drain (DRAINING or PENDING_KILL to exit) if any. */
  uptimeSeconds?: number;
  drainSeconds?: number;
  expiresAt?: number;
}

export interface StuckRecord {
  workflowId: string;
  /** `${stuckAt}#${executionId}`: sorts by time and stays unique per execution. */
  stuckKey: string;
  executionId: string;
  stuckAt: string;
  workerId: string;
  pid?: number;
  threadId?: number;
  elapsedMs: number;
  /** The top frames of the blocked thread's stack, when the runtime could give them. */
  stack?: string[];
  /** The executions that shared the blocked thread (retried elsewhere, never counted here). */
  collateral?: ExecutionRef[];
  expiresAt?: number;
}

export interface BlacklistEntry {
  workflowId: string;
  /** `auto:stuck:N` or `manual:<note>`. */
  reason: string;
  blacklistedAt: string;
  blacklistedBy?: string;
  stuckCount?: number;
  removedAt?: string;
  removedBy?: string;
}

export type CommandStatus = 'PENDING' | 'DONE' | 'REJECTED';

export interface WorkerCommand {
  workerId: string;
  commandId: string;
  type: 'recycle' | 'cancel';
  /** For a recycle; 0 for a cancel. */
  pid: number;
  generation: number;
  /** For a cancel: the execution whose AbortSignal fires. */
  executionId?: string;
  requestedBy: string;
  requestedAt: string;
  status: CommandStatus;
  outcome?: string;
  completedAt?: string;
  expiresAt?: number;
}

export const SYSTEM_CONFIG_DEFAULTS = {
  stuck_circuit_breaker_threshold: 5,
  stuck_circuit_breaker_window_minutes: 60,
} as const;

export interface SystemConfig {
  stuck_circuit_breaker_threshold: number;
  stuck_circuit_breaker_window_minutes: number;
}

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** The circuit-breaker settings if valid, else undefined (read by workers without zod). */
export function checkSystemConfig(value: Partial<SystemConfig>): SystemConfig | undefined {
  const threshold = value.stuck_circuit_breaker_threshold;
  const window = value.stuck_circuit_breaker_window_minutes;
  if (!isIntegerIn(threshold, 1, 1000) || !isIntegerIn(window, 1, 7 * 24 * 60)) return undefined;
  return {
    stuck_circuit_breaker_threshold: threshold,
    stuck_circuit_breaker_window_minutes: window,
  };
}

export interface ConnectionRecord {
  connectionId: string;
  principal: string;
  connectedAt: string;
  /** Epoch seconds: the sooner of API Gateway's 2 h limit and the token's expiry. */
  expiresAt: number;
  /** When the token the connection was opened with expires (none for the local token). */
  tokenExpiresAt?: string;
}
