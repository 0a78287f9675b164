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

export interface ComponentAccess {
  /** Get, Query, Scan only. */
  read: TableName[];
  /** Put, Update, Delete only. */
  write: TableName[];
  readWrite: TableName[];
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
  queues: [],
  publishesEvents: false,
  notifies: false,
  protectsTask: false,
  stopsTasks: false,
};

/** Every publisher scans the open connections and deletes those that answer 410 Gone. */
const PUBLISHER_TABLES: TableName[] = ['Connections'];

export const ACCESS: Record<Component, ComponentAccess> = {
  // services/worker: consumer (claim, lease, finish, fail unrun, retry: conditional updates; a
  // refused claim and a cancel command read the record), stuck records, registration and
  // heartbeats, recycle and cancel commands, the blacklist and pause caches, events. It sends to
  // the work queue to make a paused workflow's message wait and to queue a retry.
  worker: {
    ...nothing,
    read: ['Blacklist'],
    write: ['StuckRecords', 'Workers'],
    readWrite: ['Executions', 'WorkerCommands', ...PUBLISHER_TABLES],
    queues: ['consumeWork', 'sendWork', 'sendDeadLetter'],
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
  // services/functions http/routes: submit (record + send), executions (cancel, rerun), workers
  // (recycle and cancel commands, mark a stopped worker), queue depths, stuck history, blacklist
  // and pauses (the same table), config, dead letters (list, redrive, delete).
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
    queues: ['sendWork', 'readDepths', 'peekDeadLetter', 'redriveDeadLetter'],
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
