/**
 * The one definition of Warden's tables and queues. CDK (infra/) and the local bootstrap
 * (services/local) both build their resources from these objects, so they cannot drift apart.
 */

export type AttributeType = 'S' | 'N';

export interface KeyDefinition {
  name: string;
  type: AttributeType;
}

export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyDefinition;
  sortKey?: KeyDefinition;
  /** Attributes copied into the index besides the keys; absent means all of them. */
  nonKeyAttributes?: string[];
}

export interface TableDefinition {
  /** Logical name: the key in `Tables` of the outputs file and the CDK construct id. */
  logicalName: TableName;
  partitionKey: KeyDefinition;
  sortKey?: KeyDefinition;
  globalIndexes: IndexDefinition[];
  /** Epoch-seconds attribute DynamoDB may delete after. Cleanup only: reads filter by time. */
  ttlAttribute?: string;
  /** Holds data worth keeping through a stack replacement (point-in-time recovery in AWS). */
  critical: boolean;
}

export const TABLE_NAMES = [
  'Executions',
  'StuckRecords',
  'Blacklist',
  'Workers',
  'WorkerCommands',
  'SystemConfig',
  'Connections',
  'WorkerSamples',
  'AuditLog',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export const INDEX = {
  executionsByWorkflow: 'byWorkflow',
  executionsByStatus: 'byStatus',
  stuckByTime: 'byTime',
  executionsByMode: 'byModeFinished',
  auditByActor: 'byActor',
  auditByTarget: 'byTarget',
} as const;

/** What the rollout comparison reads of an execution; the byModeFinished index holds only these. */
export const ROLLOUT_EXECUTION_ATTRIBUTES = [
  'executionId',
  'status',
  'errorType',
  'queueTimeMs',
  'durationMs',
  'workerId',
] as const;

export const TABLES: Record<TableName, TableDefinition> = {
  Executions: {
    logicalName: 'Executions',
    partitionKey: { name: 'executionId', type: 'S' },
    globalIndexes: [
      {
        indexName: INDEX.executionsByWorkflow,
        partitionKey: { name: 'workflowId', type: 'S' },
        sortKey: { name: 'queuedAt', type: 'S' },
      },
      {
        indexName: INDEX.executionsByStatus,
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'queuedAt', type: 'S' },
      },
      {
        // Sparse: only records a worker stamped with its mode and that have finished (a claim
        // removes finishedAt, so a retried execution leaves the index until it ends again). The
        // rollout comparison reads a window of it per mode; projecting only what it reads keeps
        // a 100,000-execution window to a few MB.
        indexName: INDEX.executionsByMode,
        partitionKey: { name: 'mode', type: 'S' },
        sortKey: { name: 'finishedAt', type: 'S' },
        nonKeyAttributes: ROLLOUT_EXECUTION_ATTRIBUTES.filter((a) => a !== 'executionId'),
      },
    ],
    ttlAttribute: 'expiresAt',
    critical: true,
  },
  StuckRecords: {
    logicalName: 'StuckRecords',
    partitionKey: { name: 'workflowId', type: 'S' },
    sortKey: { name: 'stuckKey', type: 'S' },
    globalIndexes: [
      {
        // Every row carries the constant partition `scope = "stuck"` so one query reads a window
        // across all workflows; the volume of stuck records is small by nature.
        indexName: INDEX.stuckByTime,
        partitionKey: { name: 'scope', type: 'S' },
        sortKey: { name: 'stuckAt', type: 'S' },
      },
    ],
    ttlAttribute: 'expiresAt',
    critical: true,
  },
  Blacklist: {
    logicalName: 'Blacklist',
    // entryKey: "ACTIVE" for the live entry, "HISTORY#<blacklistedAt>" for removed ones,
    // "COUNTER" for the stuck-counter reset mark.
    partitionKey: { name: 'workflowId', type: 'S' },
    sortKey: { name: 'entryKey', type: 'S' },
    globalIndexes: [],
    critical: true,
  },
  Workers: {
    logicalName: 'Workers',
    partitionKey: { name: 'workerId', type: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
    critical: false,
  },
  WorkerCommands: {
    logicalName: 'WorkerCommands',
    partitionKey: { name: 'workerId', type: 'S' },
    sortKey: { name: 'commandId', type: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
    critical: false,
  },
  SystemConfig: {
    logicalName: 'SystemConfig',
    partitionKey: { name: 'key', type: 'S' },
    globalIndexes: [],
    critical: true,
  },
  Connections: {
    logicalName: 'Connections',
    partitionKey: { name: 'connectionId', type: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
    critical: false,
  },
  WorkerSamples: {
    // Heartbeat samples (in flight, memory), recycles and pool-process exits, keyed by mode and
    // time so the rollout comparison reads one window per mode with one query each.
    logicalName: 'WorkerSamples',
    partitionKey: { name: 'mode', type: 'S' },
    sortKey: { name: 'sampleKey', type: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
    critical: false,
  },
  AuditLog: {
    logicalName: 'AuditLog',
    // Append-only: every row carries the constant partition `scope = "audit"` and sorts by
    // `entryKey = <at>#<requestId>`, so one query reads any time range newest first. Admin
    // actions are few (a person clicking), far below one partition's write limit. No TTL: the
    // trail is kept until someone with table access decides otherwise.
    partitionKey: { name: 'scope', type: 'S' },
    sortKey: { name: 'entryKey', type: 'S' },
    globalIndexes: [
      {
        indexName: INDEX.auditByActor,
        partitionKey: { name: 'actor', type: 'S' },
        sortKey: { name: 'entryKey', type: 'S' },
      },
      {
        indexName: INDEX.auditByTarget,
        partitionKey: { name: 'target', type: 'S' },
        sortKey: { name: 'entryKey', type: 'S' },
      },
    ],
    critical: true,
  },
};

export interface QueueDefinition {
  logicalName: string;
  /** Default visibility; workers extend it while an execution runs. */
  visibilityTimeoutSeconds: number;
  receiveWaitTimeSeconds: number;
  retentionSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  maxReceiveCount?: number;
}

export const QUEUES = {
  work: {
    logicalName: 'WorkQueue',
    visibilityTimeoutSeconds: 30,
    receiveWaitTimeSeconds: 20,
    retentionSeconds: 4 * 24 * 3600,
    maxReceiveCount: 3,
  },
  deadLetter: {
    logicalName: 'DeadLetterQueue',
    visibilityTimeoutSeconds: 30,
    receiveWaitTimeSeconds: 0,
    retentionSeconds: 14 * 24 * 3600,
  },
} as const satisfies Record<string, QueueDefinition>;

/** Physical table name for a deployment prefix, e.g. `warden-Executions`. */
export const tableNameFor = (prefix: string, table: TableName): string => `${prefix}-${table}`;
export const queueNameFor = (prefix: string, queue: keyof typeof QUEUES): string =>
  queue === 'work' ? `${prefix}-work` : `${prefix}-work-dlq`;

/** Environment variable that carries a table's physical name, e.g. `WARDEN_TABLE_EXECUTIONS`. */
export const tableEnvVar = (table: TableName): string =>
  `WARDEN_TABLE_${table.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
