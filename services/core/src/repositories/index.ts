import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableName } from '../resources.js';
import { systemClock, type Clock } from '../time.js';
import { AuditRepository } from './audit.js';
import { BlacklistRepository } from './blacklist.js';
import { ConnectionsRepository } from './connections.js';
import { ExecutionsRepository, type ExecutionWriter } from './executions.js';
import { PausesRepository } from './pauses.js';
import { StuckRecordsRepository } from './stuck-records.js';
import { SystemConfigRepository } from './system-config.js';
import { WorkerCommandsRepository } from './worker-commands.js';
import { WorkerSamplesRepository } from './worker-samples.js';
import { WorkersRepository } from './workers.js';

export * from './audit.js';
export * from './blacklist.js';
export * from './connections.js';
export * from './executions.js';
export * from './pauses.js';
export * from './stuck-records.js';
export * from './system-config.js';
export * from './worker-commands.js';
export * from './worker-samples.js';
export * from './workers.js';
export { isConditionFailure } from './dynamo-helpers.js';

export interface Repositories {
  executions: ExecutionsRepository;
  stuck: StuckRecordsRepository;
  blacklist: BlacklistRepository;
  pauses: PausesRepository;
  workers: WorkersRepository;
  commands: WorkerCommandsRepository;
  systemConfig: SystemConfigRepository;
  connections: ConnectionsRepository;
  samples: WorkerSamplesRepository;
  audit: AuditRepository;
}

export function createRepositories(
  dynamo: DynamoDBDocumentClient,
  tables: Record<TableName, string>,
  clock: Clock = systemClock,
  /** A worker passes its mode and version: every execution record it writes carries them. */
  writer?: ExecutionWriter,
): Repositories {
  return {
    executions: new ExecutionsRepository(dynamo, tables.Executions, clock, writer),
    stuck: new StuckRecordsRepository(dynamo, tables.StuckRecords, clock),
    blacklist: new BlacklistRepository(dynamo, tables.Blacklist, clock),
    pauses: new PausesRepository(dynamo, tables.Blacklist, clock),
    workers: new WorkersRepository(dynamo, tables.Workers, clock),
    commands: new WorkerCommandsRepository(dynamo, tables.WorkerCommands, clock),
    systemConfig: new SystemConfigRepository(dynamo, tables.SystemConfig, clock),
    connections: new ConnectionsRepository(dynamo, tables.Connections, clock),
    samples: new WorkerSamplesRepository(dynamo, tables.WorkerSamples, clock),
    audit: new AuditRepository(dynamo, tables.AuditLog),
  };
}
