/**
 * Live events pushed to admin clients over WebSocket. `type` discriminates; every event carries
 * the instant it happened. Keep each one small: API Gateway frames are limited to 32 KB.
 */
import type {
  BlacklistEntry,
  ErrorType,
  ExecutionStatus,
  ProcessSnapshot,
  ProcessState,
  WorkerMode,
  WorkerRecord,
} from '../domain.js';

interface EventBase {
  at: string;
}

export interface WorkerOnlineEvent extends EventBase {
  type: 'worker_online';
  worker: Omit<WorkerRecord, 'workflows'>;
}
export interface WorkerOfflineEvent extends EventBase {
  type: 'worker_offline';
  workerId: string;
  reason: string;
}
/** The sweep marked a worker LOST: no heartbeat for WORKER_LOST_AFTER_SECONDS. */
export interface WorkerLostEvent extends EventBase {
  type: 'worker_lost';
  workerId: string;
  lastHeartbeatAt: string;
  /** Executions under its expired leases that the sweep recorded FAILED (WorkerLost). */
  failedExecutions: string[];
}
/** An admin removed a LOST or OFFLINE worker from the fleet view. */
export interface WorkerDismissedEvent extends EventBase {
  type: 'worker_dismissed';
  workerId: string;
  dismissedBy: string;
}
export interface WorkerHeartbeatEvent extends EventBase {
  type: 'worker_heartbeat';
  workerId: string;
  mode: WorkerMode;
  processes: ProcessSnapshot[];
}
export interface ProcessStateChangedEvent extends EventBase {
  type: 'process_state_changed';
  workerId: string;
  pid: number;
  generation: number;
  from: ProcessState | null;
  /** null once the process has exited. */
  to: ProcessState | null;
  reason: string;
}
export interface ExecutionStartedEvent extends EventBase {
  type: 'execution_started';
  executionId: string;
  workflowId: string;
  workerId: string;
  pid: number;
  generation: number;
  threadId?: number;
  attempt: number;
}
export interface ExecutionFinishedEvent extends EventBase {
  type: 'execution_finished';
  executionId: string;
  workflowId: string;
  workerId: string;
  status: ExecutionStatus;
  errorType?: ErrorType;
  durationMs?: number;
}
export interface ExecutionStuckEvent extends EventBase {
  type: 'execution_stuck';
  executionId: string;
  workflowId: string;
  workerId: string;
  pid: number;
  generation: number;
  elapsedMs: number;
}
export interface WorkflowBlacklistedEvent extends EventBase {
  type: 'workflow_blacklisted';
  entry: BlacklistEntry;
}
export interface WorkflowUnblacklistedEvent extends EventBase {
  type: 'workflow_unblacklisted';
  workflowId: string;
  removedBy: string;
}
export interface QueueChangedEvent extends EventBase {
  type: 'queue_changed';
  executionId?: string;
  workflowId?: string;
  /**
   * `deferred`: a paused workflow's message was sent back to wait; `retry_scheduled`: a failed
   * attempt was queued again with its backoff; `cancelled`: a QUEUED execution was cancelled;
   * `redriven`: moved back from the dead-letter queue.
   */
  change:
    | 'queued'
    | 'picked_up'
    | 'refused'
    | 'dead_lettered'
    | 'deferred'
    | 'retry_scheduled'
    | 'cancelled'
    | 'redriven';
}

export type WardenEvent =
  | WorkerOnlineEvent
  | WorkerOfflineEvent
  | WorkerLostEvent
  | WorkerDismissedEvent
  | WorkerHeartbeatEvent
  | ProcessStateChangedEvent
  | ExecutionStartedEvent
  | ExecutionFinishedEvent
  | ExecutionStuckEvent
  | WorkflowBlacklistedEvent
  | WorkflowUnblacklistedEvent
  | QueueChangedEvent;

export type WardenEventType = WardenEvent['type'];

/** An event before the publisher stamps it. */
export type EventInput = WardenEvent extends infer E
  ? E extends WardenEvent
    ? Omit<E, 'at'>
    : never
  : never;

/** API Gateway WebSocket frames are limited to 32 KB; stay well under. */
export const MAX_EVENT_BYTES = 28 * 1024;

/**
 * A frame carries one event (a JSON object) or several, in the order they happened (a JSON
 * array). Events that pile up while a frame is being posted go out together in the next one.
 */
export const MAX_FRAME_BYTES = 30 * 1024;

/** The events in a frame, in order; anything that is not JSON yields none. */
export function decodeEventFrame(frame: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}
