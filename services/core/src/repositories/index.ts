import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableName } from '../resources.js';
import { systemClock, type Clock } from '../time.js';
import { AuditRepository } from './audit.js';
import { BlacklistRepository } from './blacklist.js';
import { ConnectionsRepository } from './connections.js';
import { ExecutionsRepository } from './executions.js';
import { StuckRecordsRepository } from './stuck-records.js';
import { SystemConfigRepository } from './system-config.js';
import { WorkerCommandsRepository } from './worker-commands.js';
import { WorkersRepository } from './workers.js';

export * from './audit.js';
export * from './blacklist.js';
export * from './connections.js';
export * from './executions.js';
export * from './stuck-records.js';
export * from './system-config.js';
export * from './worker-commands.js';
export * from './workers.js';
export { isConditionFailure } from './dynamo-helpers.js';

export interface Repositories {
  executions: ExecutionsRepository;
  stuck: StuckRecordsRepository;
  blacklist: BlacklistRepository;
  workers: WorkersRepository;
  commands: WorkerCommandsRepository;
  systemConfig: SystemConfigRepository;
  connections: ConnectionsRepository;
  audit: AuditRepository;
}

export function createRepositories(
  dynamo: DynamoDBDocumentClient,
  tables: Record<TableName, string>,
  clock: Clock = systemClock,
): Repositories {
  return {
    executions: new ExecutionsRepository(dynamo, tables.Executions, clock),
    stuck: new StuckRecordsRepository(dynamo, tables.StuckRecords, clock),
    blacklist: new BlacklistRepository(dynamo, tables.Blacklist, clock),
    workers: new WorkersRepository(dynamo, tables.Workers, clock),
    commands: new WorkerCommandsRepository(dynamo, tables.WorkerCommands, clock),
    systemConfig: new SystemConfigRepository(dynamo, tables.SystemConfig, clock),
    connections: new ConnectionsRepository(dynamo, tables.Connections, clock),
    audit: new AuditRepository(dynamo, tables.AuditLog),
  };
}
