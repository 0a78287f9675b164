/**
 * Shapes of the admin API's responses, built on the domain types of `@warden/core` (imported as
 * types only: the app talks to the rest of Warden over HTTP and WebSocket, never through code).
 */
import type {
  BlacklistEntry,
  PausedWorkflowSummary,
  ErrorType,
  WorkerHealth,
  ExecutionStatus,
  WorkerRecord,
  WorkflowInfo,
} from '@warden/core';

export type {
  ApiErrorBody,
  AttemptError,
  BulkActionResponse,
  CancelResponse,
  DeadLetterSummary,
  DeadLettersResponse,
  DeleteDeadLettersResponse,
  PausedWorkflowSummary,
  RedriveResponse,
  RetryPolicy,
  AuditEntry,
  AuditListQuery,
  AuditListResponse,
  AuditOutcome,
  MeResponse,
  Role,
  BlacklistEntry,
  BlacklistResponse,
  ConfigResponse,
  DismissWorkerResponse,
  ExecutionListResponse,
  ExecutionResponse,
  QueueStatusResponse,
  RecycleResponse,
  RolloutCheck,
  RolloutModeStats,
  RolloutPoint,
  RolloutResponse,
  StopWorkerResponse,
  StuckHistoryResponse,
  StuckWorkflowSummary,
  WorkerDetailResponse,
  WorkerHealth,
  WorkerSummary,
  WorkersResponse,
  WorkflowCatalogEntry,
  WorkflowsResponse,
  ErrorType,
  ExecutionRecord,
  ExecutionStatus,
  ProcessSnapshot,
  ProcessState,
  RunState,
  RunningExecutionSnapshot,
  SystemConfig,
  WardenEvent,
  WardenEventType,
  WorkerMode,
  WorkerRecord,
  WorkerStatus,
  WorkflowInfo,
} from '@warden/core';

/**
 * A worker as the app holds it: the API's summary, or a record built from a `worker_online`
 * event (which has no health yet; the app works it out from the heartbeat age).
 */
export interface WorkerView extends Omit<WorkerRecord, 'expiresAt' | 'workflows'> {
  workflows?: WorkflowInfo[];
  health?: WorkerHealth;
}

export interface QueuedExecution {
  executionId: string;
  workflowId: string;
  workflowName?: string;
  queuedAt: string;
}

/** The queue flattened for display. */
export interface QueueSnapshot {
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetter: number;
  /** Messages sent raw to SQS, with no QUEUED record the API can show. */
  untracked: number;
  /** QUEUED executions submitted through the API. */
  queued: QueuedExecution[];
  /** Paused workflows: since when, by whom, why, and how much waits. */
  paused: PausedWorkflowSummary[];
}

export interface BlacklistListing {
  active: BlacklistEntry[];
  removed: BlacklistEntry[];
}

export interface ExecutionFilters {
  workflowId?: string;
  status?: ExecutionStatus;
  /** ISO instants bounding queuedAt. */
  from?: string;
  to?: string;
  /** An execution id or the start of one. */
  q?: string;
  errorType?: ErrorType;
  workerId?: string;
  limit?: number;
  cursor?: string;
}

export interface SubmitExecutionInput {
  workflowId: string;
  input?: unknown;
  timeoutSeconds?: number;
  executionId?: string;
}
