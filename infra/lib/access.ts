/**
 * Who may touch what: for each component that runs code in AWS, the tables it reads, the tables
 * it writes, and what it does with the queues — read from that component's code (repositories it
 * calls and AWS clients it builds). The runtime stack grants exactly this and nothing else; the
 * infra tests check the synthesized policies statement by statement.
 */
import type { TableName } from '@warden/core';

export type QueueUse =
  /** Receive, delete, change visibility (and read attributes) on the work queue. */
  | 'consumeWork'
  /** Send to the work queue. */
  | 'sendWork'
  /** Send to the dead-letter queue (messages that can never run). */
  | 'sendDeadLetter'
  /** Read both queues' attributes (depths). */
  | 'readDepths';

export interface ComponentAccess {
  read: TableName[];
  readWrite: TableName[];
  queues: QueueUse[];
  /** Posts events to WebSocket connections (execute-api:ManageConnections). */
  publishesEvents: boolean;
  /** Publishes to the alerts topic. */
  notifies: boolean;
}

export type Component =
  | 'worker'
  | 'circuitBreaker'
  | 'adminApi'
  | 'wsAuthorizer'
  | 'wsConnect'
  | 'wsDisconnect'
  | 'wsDefault';

const none: ComponentAccess = {
  read: [],
  readWrite: [],
  queues: [],
  publishesEvents: false,
  notifies: false,
};

export const ACCESS: Record<Component, ComponentAccess> = {
  worker: {
    read: ['Blacklist', 'SystemConfig'],
    readWrite: ['Executions', 'StuckRecords', 'Workers', 'WorkerCommands', 'Connections'],
    queues: ['consumeWork', 'sendDeadLetter'],
    publishesEvents: true,
    notifies: false,
  },
  circuitBreaker: {
    read: ['StuckRecords', 'SystemConfig', 'Workers', 'Executions'],
    readWrite: ['Blacklist', 'Connections'],
    queues: [],
    publishesEvents: true,
    notifies: true,
  },
  adminApi: {
    read: ['StuckRecords', 'Workers'],
    readWrite: ['Executions', 'Blacklist', 'SystemConfig', 'WorkerCommands', 'Connections'],
    queues: ['sendWork', 'readDepths'],
    publishesEvents: true,
    notifies: false,
  },
  wsAuthorizer: none,
  wsConnect: { ...none, readWrite: ['Connections'] },
  wsDisconnect: { ...none, readWrite: ['Connections'] },
  wsDefault: none,
};
