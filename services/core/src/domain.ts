/**
 * Domain vocabulary shared by every part of Warden: execution and process states, error types,
 * the SQS message contract and the records kept in DynamoDB.
 */
import { z } from 'zod';

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
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"');

/** Largest accepted `input`, measured as UTF-8 JSON. SQS itself allows 256 KiB per message. */
export const MAX_INPUT_BYTES = 64 * 1024;
/** Longest timeout a submission may ask for (12 h, the SQS visibility ceiling). */
export const MAX_TIMEOUT_SECONDS = 12 * 60 * 60;

/** The body of an SQS work message, as upstream services send it. */
export const workMessageSchema = z
  .object({
    executionId: idSchema.optional(),
    workflowId: idSchema,
    input: z.unknown().optional(),
    timeoutSeconds: z.number().positive().max(MAX_TIMEOUT_SECONDS).optional(),
  })
  .strict();
export type WorkMessage = z.infer<typeof workMessageSchema>;

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
  type: 'recycle';
  pid: number;
  generation: number;
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

export const systemConfigSchema = z
  .object({
    stuck_circuit_breaker_threshold: z.number().int().min(1).max(1000),
    stuck_circuit_breaker_window_minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
  })
  .strict();
export type SystemConfig = z.infer<typeof systemConfigSchema>;

export interface ConnectionRecord {
  connectionId: string;
  principal: string;
  connectedAt: string;
  /** Epoch seconds: the sooner of API Gateway's 2 h limit and the token's expiry. */
  expiresAt: number;
  /** When the token the connection was opened with expires (none for the local token). */
  tokenExpiresAt?: string;
}

/** Describes a zod failure as "field: problem; field: problem" so a person can act on it. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
