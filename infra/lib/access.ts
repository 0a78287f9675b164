/**
 * Who may touch what: for each component that runs code in AWS, the tables it reads, the tables
 * it writes, and what it does with the queues — read from that component's code (repositories it
 * calls and AWS clients it builds). The runtime stack grants exactly this and nothing else; the
 * infra tests check the synthesized policies statement by statement.
 */
import type { TableName } from '@warden/core';

export type QueueUse =
  /** ReceiveMessage, DeleteMessage and ChangeMessageVisibility on the work queue. */
  | 'consumeWork'
  /** SendMessage to the work queue. */
  | 'sendWork'
  /** SendMessage to the dead-letter queue (messages that can never run). */
  | 'sendDeadLetter'
  /** GetQueueAttributes on both queues (depths for the admin app). */
  | 'readDepths'
  /** ReceiveMessage on the dead-letter queue with visibility 0: reads, never hides or deletes. */
  | 'peekDeadLetter'
  /**
   * Operators' redrive and delete: ReceiveMessage, ChangeMessageVisibility and DeleteMessage on
   * the dead-letter queue, and StartMessageMoveTask on it (SQS moves everything back itself).
   */
  | 'redriveDeadLetter';

/**
 * The DynamoDB actions Warden's repositories call. Conditional writes need nothing more than the
 * write itself; a Query on a global index is granted on the table's indexes too.
 */
export type TableAction = 'GetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

export interface ComponentAccess {
  /** Per table, exactly the actions its code calls (no Batch*, no DescribeTable, no streams). */
  tables: Partial<Record<TableName, TableAction[]>>;
  queues: QueueUse[];
  /** Posts events to WebSocket connections (execute-api:ManageConnections, POST). */
  publishesEvents: boolean;
  /** Publishes to the alerts topic. */
  notifies: boolean;
  /** Updates scale-in protection of its own ECS task. */
  protectsTask: boolean;
  /** Stops worker tasks of the cluster (a silent worker, from the admin app). */
  stopsTasks: boolean;
  /** Assumes the workflow role, to hand its short-lived credentials to workflows. */
  assumesWorkflowRole: boolean;
}

export type Component =
  | 'worker'
  | 'circuitBreaker'
  | 'adminApi'
  | 'wsAuthorizer'
  | 'wsConnect'
  | 'wsDisconnect'
  | 'wsDefault';

const nothing: ComponentAccess = {
  tables: {},
  queues: [],
  publishesEvents: false,
  notifies: false,
  protectsTask: false,
  stopsTasks: false,
  assumesWorkflowRole: false,
};

/** Every publisher scans the open connections and deletes those that answer 410 Gone. */
const PUBLISHER: Partial<Record<TableName, TableAction[]>> = {
  Connections: ['Scan', 'DeleteItem'],
};

export const ACCESS: Record<Component, ComponentAccess> = {
  // services/worker: consumer (claim, lease, finish, fail unrun, retry: conditional updates; a
  // refused claim and a cancel command read the record), stuck records, registration and
  // heartbeats, recycle and cancel commands, the blacklist and pause caches (the same table),
  // events, and its samples for the rollout comparison (heartbeats, recycles, pool exits). It
  // sends to the work queue to make a paused workflow's message wait and to queue a retry.
  worker: {
    ...nothing,
    tables: {
      Executions: ['GetItem', 'UpdateItem'],
      StuckRecords: ['PutItem'],
      Workers: ['PutItem', 'UpdateItem'],
      Blacklist: ['GetItem', 'Scan'],
      WorkerCommands: ['Query', 'UpdateItem'],
      WorkerSamples: ['PutItem'],
      ...PUBLISHER,
    },
    queues: ['consumeWork', 'sendWork', 'sendDeadLetter'],
    publishesEvents: true,
    protectsTask: true,
    assumesWorkflowRole: true,
  },
  // services/functions circuit-breaker.ts: config, stuck records in the window, counter resets
  // and the blacklist, execution counts (stuck rate), workers (fleet health); trips add entries
  // (a refused add reads the entry). dead-letters.ts peeks at the dead-letter queue and fails the
  // executions it finds abandoned; lost-workers.ts marks workers LOST and fails the executions
  // under their expired leases.
  circuitBreaker: {
    ...nothing,
    tables: {
      SystemConfig: ['GetItem'],
      StuckRecords: ['Query'],
      Blacklist: ['GetItem', 'Scan', 'PutItem'],
      Executions: ['GetItem', 'Query', 'UpdateItem'],
      Workers: ['Scan', 'UpdateItem'],
      ...PUBLISHER,
    },
    queues: ['peekDeadLetter'],
    publishesEvents: true,
    notifies: true,
  },
  // services/functions http/routes: submit (record + send; FAILED when the send fails),
  // executions (cancel, rerun), workers (recycle and cancel commands, mark a stopped worker,
  // dismiss a lost one), queue depths, stuck history, blacklist and pauses (the same table),
  // config, dead letters (list, redrive, delete), and the rollout comparison (executions by
  // mode, worker samples, stuck records).
  adminApi: {
    ...nothing,
    tables: {
      Executions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
      Workers: ['GetItem', 'Scan', 'UpdateItem', 'DeleteItem'],
      WorkerCommands: ['GetItem', 'Query', 'PutItem'],
      Blacklist: ['GetItem', 'Scan', 'PutItem', 'DeleteItem'],
      SystemConfig: ['GetItem', 'PutItem'],
      StuckRecords: ['Query'],
      WorkerSamples: ['Query'],
      // http/audit.ts appends one entry per mutation; GET /api/platform/audit reads them. No
      // UpdateItem or DeleteItem: the trail cannot be changed through the API.
      AuditLog: ['PutItem', 'GetItem', 'Query', 'Scan'],
      ...PUBLISHER,
    },
    queues: ['sendWork', 'readDepths', 'peekDeadLetter', 'redriveDeadLetter'],
    publishesEvents: true,
    stopsTasks: true,
  },
  // Verifies the Cognito JWT against the pool's public keys: no AWS permission at all.
  wsAuthorizer: nothing,
  wsConnect: { ...nothing, tables: { Connections: ['PutItem'] } },
  wsDisconnect: { ...nothing, tables: { Connections: ['DeleteItem'] } },
  // Answers a ping in its own response: no AWS permission at all.
  wsDefault: nothing,
};
