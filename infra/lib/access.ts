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
  | 'peekDeadLetter';

export interface ComponentAccess {
  /** Get, Query, Scan only. */
  read: TableName[];
  /** Put, Update, Delete only. */
  write: TableName[];
  readWrite: TableName[];
  /** PutItem, GetItem, Query, Scan: appends and reads, never changes or deletes a row. */
  appendOnly: TableName[];
  queues: QueueUse[];
  /** Posts events to WebSocket connections (execute-api:ManageConnections, POST). */
  publishesEvents: boolean;
  /** Publishes to the alerts topic. */
  notifies: boolean;
  /** Updates scale-in protection of its own ECS task. */
  protectsTask: boolean;
  /** Stops worker tasks of the cluster (a silent worker, from the admin app). */
  stopsTasks: boolean;
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
  read: [],
  write: [],
  readWrite: [],
  appendOnly: [],
  queues: [],
  publishesEvents: false,
  notifies: false,
  protectsTask: false,
  stopsTasks: false,
};

/** Every publisher scans the open connections and deletes those that answer 410 Gone. */
const PUBLISHER_TABLES: TableName[] = ['Connections'];

export const ACCESS: Record<Component, ComponentAccess> = {
  // services/worker: consumer (claim, lease, finish, fail unrun: conditional updates), stuck
  // records, registration and heartbeats, recycle commands, the blacklist cache, events.
  worker: {
    ...nothing,
    read: ['Blacklist'],
    write: ['Executions', 'StuckRecords', 'Workers'],
    readWrite: ['WorkerCommands', ...PUBLISHER_TABLES],
    queues: ['consumeWork', 'sendDeadLetter'],
    publishesEvents: true,
    protectsTask: true,
  },
  // services/functions circuit-breaker.ts: config, stuck records in the window, counter resets
  // and the blacklist, execution counts (stuck rate), workers (fleet health); trips add entries.
  // dead-letters.ts peeks at the dead-letter queue and fails the executions it finds abandoned.
  circuitBreaker: {
    ...nothing,
    read: ['SystemConfig', 'StuckRecords', 'Workers'],
    readWrite: ['Blacklist', 'Executions', ...PUBLISHER_TABLES],
    queues: ['peekDeadLetter'],
    publishesEvents: true,
    notifies: true,
  },
  // services/functions http/routes: submit (record + send), executions, workers (recycle
  // commands, mark a stopped worker), queue depths, stuck history, blacklist, config.
  adminApi: {
    ...nothing,
    read: ['StuckRecords'],
    readWrite: [
      'Executions',
      'Workers',
      'WorkerCommands',
      'Blacklist',
      'SystemConfig',
      ...PUBLISHER_TABLES,
    ],
    // http/audit.ts appends one entry per mutation; GET /api/platform/audit reads them.
    appendOnly: ['AuditLog'],
    queues: ['sendWork', 'readDepths'],
    publishesEvents: true,
    stopsTasks: true,
  },
  // Verifies the Cognito JWT against the pool's public keys: no AWS permission at all.
  wsAuthorizer: nothing,
  wsConnect: { ...nothing, write: ['Connections'] },
  wsDisconnect: { ...nothing, write: ['Connections'] },
  // Answers a ping in its own response: no AWS permission at all.
  wsDefault: nothing,
};
