/**
 * The admin HTTP API's contract: request and response bodies and error codes. The API
 * (services/functions) answers with these shapes; the CLI and client (services/client) and the
 * admin app read them. docs/api.md describes every route.
 */
import type {
  BlacklistEntry,
  ErrorType,
  ExecutionRecord,
  ExecutionStatus,
  StuckRecord,
  SystemConfig,
  WorkerCommand,
  WorkerRecord,
  WorkflowInfo,
  WorkflowPause,
} from './domain.js';
import type { RolloutReport } from './rollout.js';
import type { AuditEntry } from './repositories/audit.js';

export const API_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'WORKER_NOT_FOUND',
  'PROCESS_NOT_FOUND',
  'STALE_GENERATION',
  'PROCESS_EXITING',
  'WORKER_OFFLINE',
  'WORKER_NOT_SILENT',
  'WORKER_NOT_LOST',
  'STOP_REFUSED',
  'EXECUTION_NOT_FOUND',
  'DUPLICATE_EXECUTION',
  'UNKNOWN_WORKFLOW',
  'NO_WORKERS_REGISTERED',
  'WORKFLOW_BLACKLISTED',
  'ALREADY_BLACKLISTED',
  'NOT_BLACKLISTED',
  'ENQUEUE_FAILED',
  'ALREADY_PAUSED',
  'NOT_PAUSED',
  'EXECUTION_FINISHED',
  'INTERNAL',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Every non-2xx answer. `field` names the request field at fault, when there is one. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; field?: string };
}

/**
 * `online`: heartbeating. `silent`: registered, not OFFLINE, but no heartbeat for longer than
 * the silent threshold (hung or gone without deregistering). `offline`: deregistered.
 */
export type WorkerHealth = 'online' | 'silent' | 'offline' | 'lost';

export interface WorkerSummary extends Omit<WorkerRecord, 'expiresAt'> {
  health: WorkerHealth;
  /** Milliseconds since the last heartbeat, when the answer was made. */
  heartbeatAgeMs: number;
}

export interface WorkersResponse {
  workers: WorkerSummary[];
  /** A worker without a heartbeat for this long is `silent`. */
  silentAfterMs: number;
}

export interface WorkerDetailResponse {
  worker: WorkerSummary;
  /** Commands (recycles) addressed to this worker and not yet picked up. */
  pendingCommands: WorkerCommand[];
}

/** DELETE /api/platform/workers/{workerId}: a LOST or OFFLINE worker removed from the fleet. */
export interface DismissWorkerResponse {
  workerId: string;
  dismissed: true;
}

export interface RecycleRequest {
  /** The generation the caller saw; a newer process under the same pid is not recycled. */
  generation: number;
}

export interface RecycleResponse {
  command: WorkerCommand;
  /** False when the same recycle had already been requested (the existing command is returned). */
  created: boolean;
}

export interface StopWorkerRequest {
  /** Stop even though the worker is still heartbeating. */
  force?: boolean;
}

export interface StopWorkerResponse {
  workerId: string;
  /** What was asked to stop: an ECS task ARN, or a local process. */
  target: string;
}

export interface QueuedExecutionSummary {
  executionId: string;
  workflowId: string;
  /** From the workflow catalog; the id when no registered worker knows the workflow. */
  workflowName: string;
  queuedAt: string;
  ageMs: number;
}

export interface QueueStatusResponse {
  queue: { url: string; visible: number; inFlight: number; delayed: number };
  deadLetter: { url: string; depth: number };
  /** QUEUED records written by submissions through the API (newest first, at most `limit`). */
  tracked: { count: number; executions: QueuedExecutionSummary[] };
  /**
   * Messages waiting that no QUEUED record accounts for (sent raw to SQS). Approximate: SQS
   * counts are approximate themselves.
   */
  untracked: number;
  /** Paused workflows and how many of their executions wait. */
  paused: PausedWorkflowSummary[];
}

/** A paused workflow, with the QUEUED executions that wait for it to be resumed. */
export interface PausedWorkflowSummary extends WorkflowPause {
  waiting: number;
}

export interface PauseWorkflowRequest {
  /** Why (1-500 characters); shown wherever the pause is. */
  reason: string;
}

export interface PauseResponse {
  pause: PausedWorkflowSummary;
}

export interface PausesResponse {
  paused: PausedWorkflowSummary[];
}

export interface CancelResponse {
  execution: ExecutionRecord;
  /**
   * `CANCELLED`: it had not started and never will. `CANCELLING`: it runs; its worker fires the
   * AbortSignal and records CANCELLED if it stops within the grace period.
   */
  outcome: 'CANCELLED' | 'CANCELLING';
}

/** At most this many executions are acted on by one bulk request. */
export const MAX_BULK_EXECUTIONS = 500;

export interface BulkCancelRequest {
  workflowId?: string;
  /** QUEUED, RUNNING, or both when absent. */
  status?: 'QUEUED' | 'RUNNING';
  from?: string;
  to?: string;
  /** Count and list what matches without acting. */
  dryRun?: boolean;
}

export interface BulkRerunRequest {
  workflowId?: string;
  errorType?: ErrorType;
  from?: string;
  to?: string;
  dryRun?: boolean;
}

export interface BulkActionResponse {
  dryRun: boolean;
  /** Executions that match the filter (at most MAX_BULK_EXECUTIONS). */
  matched: number;
  executionIds: string[];
  /** True when more matched than one request acts on. */
  truncated: boolean;
  /** Not a dry run: what was done to each (new execution ids for a rerun). */
  results?: { executionId: string; outcome: string; newExecutionId?: string }[];
}

export interface DeadLetterSummary {
  messageId: string;
  /** The first 500 characters of the body. */
  bodyPreview: string;
  receiveCount: number;
  /** When the message was first sent (to the work queue; SQS keeps it across the move). */
  firstSentAt?: string;
  executionId?: string;
  workflowId?: string;
  /** The execution record's state, when one exists. */
  status?: ExecutionStatus;
  errorType?: ErrorType;
}

export interface DeadLettersResponse {
  depth: number;
  messages: DeadLetterSummary[];
}

export interface RedriveRequest {
  messageIds?: string[];
  all?: boolean;
}

export interface RedriveResponse {
  /** `move-task`: SQS's own message move task (AWS); `copy`: receive, send back, delete. */
  method: 'copy' | 'move-task';
  moved: string[];
  /** Ids not found in the dead-letter queue (already moved, deleted, or held by another redrive). */
  notFound: string[];
  taskHandle?: string;
}

export interface DeleteDeadLettersRequest {
  messageIds: string[];
}

export interface DeleteDeadLettersResponse {
  deleted: string[];
  notFound: string[];
}

export interface StuckWorkflowSummary {
  workflowId: string;
  workflowName: string;
  count: number;
  lastStuckAt: string;
  blacklisted: boolean;
}

export interface StuckHistoryResponse {
  hours: number;
  since: string;
  total: number;
  /** Most stuck first. */
  workflows: StuckWorkflowSummary[];
  /** The records themselves, newest first (at most 200). */
  records: StuckRecord[];
}

export interface BlacklistResponse {
  /** Workflows blacklisted now. */
  entries: BlacklistEntry[];
  /** Removed entries, newest removal first; present with `?include=removed`. */
  history?: BlacklistEntry[];
}

export interface AddBlacklistRequest {
  workflowId: string;
  /** Why; stored as `manual:<reason>`. */
  reason: string;
}

export interface BlacklistEntryResponse {
  entry: BlacklistEntry;
}

export interface ConfigResponse extends SystemConfig {
  updatedAt?: string;
  updatedBy?: string;
}

/** PUT /api/platform/config: any subset of the keys; the others keep their value. */
export type ConfigUpdateRequest = Partial<SystemConfig>;

export interface SubmitExecutionRequest {
  workflowId: string;
  input?: unknown;
  timeoutSeconds?: number;
  /** Chosen by the caller to make a retry safe; generated when absent. */
  executionId?: string;
}

export interface RerunRequest {
  /** Chosen by the caller to make the request safe to repeat; generated when absent. */
  executionId?: string;
}

export interface ExecutionResponse {
  execution: ExecutionRecord;
}

export interface ExecutionListQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  /** ISO instants bounding queuedAt: `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
  /** An execution id or the start of one. */
  q?: string;
  errorType?: ErrorType;
  workerId?: string;
  limit?: number;
  cursor?: string;
}

export interface ExecutionListResponse {
  items: ExecutionRecord[];
  /** Pass as `cursor` to read the next page; absent on the last page. */
  nextCursor?: string;
}

export interface WorkflowCatalogEntry extends WorkflowInfo {
  /** Registered workers (not offline) that can run it. */
  workers: number;
  blacklisted: boolean;
  /** Present while the workflow is paused. */
  paused?: PausedWorkflowSummary;
}

export interface WorkflowsResponse {
  workflows: WorkflowCatalogEntry[];
}

/** GET /api/platform/rollout?minutes=N. */
export type RolloutResponse = RolloutReport;

/** What a signed-in principal may do: `admin` reads and acts, `viewer` only reads. */
export type Role = 'admin' | 'viewer' | 'none';

export interface MeResponse {
  id: string;
  role: Role;
  /** Why the role cannot act, for the admin app to show (absent for admins). */
  readOnlyReason?: string;
}

export interface AuditListQuery {
  actor?: string;
  action?: string;
  target?: string;
  /** ISO instants bounding the entry time: `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditListResponse {
  items: AuditEntry[];
  /** Pass as `cursor` to read the next page; absent on the last page. */
  nextCursor?: string;
}
