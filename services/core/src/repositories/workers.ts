import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ProcessSnapshot, WorkerRecord, WorkerStatus } from '../domain.js';
import { DAY_MS, epochSeconds, iso, systemClock, type Clock } from '../time.js';
import { conditionHeld, scanAll } from './dynamo-helpers.js';

/** A worker row is forgotten a day after its last heartbeat (reads filter; TTL cleans up). */
const RETENTION_MS = DAY_MS;

export class WorkersRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async register(record: Omit<WorkerRecord, 'expiresAt'>): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...record, expiresAt: epochSeconds(this.clock() + RETENTION_MS) },
      }),
    );
  }

  async heartbeat(
    workerId: string,
    processes: ProcessSnapshot[],
    status: WorkerStatus = 'ONLINE',
  ): Promise<string> {
    const now = this.clock();
    await this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { workerId },
        UpdateExpression:
          // A worker the sweep marked LOST that beats again is back: forget the mark.
          'SET processes = :p, lastHeartbeatAt = :at, #status = :s, expiresAt = :exp REMOVE lostAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':p': processes,
          ':at': iso(now),
          ':s': status,
          ':exp': epochSeconds(now + RETENTION_MS),
        },
      }),
    );
    return iso(now);
  }

  async setStatus(
    workerId: string,
    status: WorkerStatus,
    processes?: ProcessSnapshot[],
  ): Promise<void> {
    await this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { workerId },
        UpdateExpression: processes ? 'SET #status = :s, processes = :p' : 'SET #status = :s',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':s': status, ...(processes ? { ':p': processes } : {}) },
      }),
    );
  }

  /**
   * Marks a worker LOST, conditional on the heartbeat the caller read still being the last one
   * and the worker being neither OFFLINE nor LOST already: of two sweeps, one marks it, and a
   * worker that came back meanwhile stays as it is. Its processes are cleared (they died with it).
   */
  async markLost(workerId: string, observedHeartbeatAt: string): Promise<boolean> {
    return conditionHeld(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { workerId },
          ConditionExpression: 'lastHeartbeatAt = :observed AND NOT (#status IN (:offline, :lost))',
          UpdateExpression: 'SET #status = :lost, processes = :none, lostAt = :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':observed': observedHeartbeatAt,
            ':offline': 'OFFLINE',
            ':lost': 'LOST',
            ':none': [],
            ':now': iso(this.clock()),
          },
        }),
      ),
    );
  }

  /**
   * Removes a worker that is LOST or OFFLINE (an admin's dismissal); false when it is not there
   * or is neither, so a worker that came back is never removed.
   */
  async dismiss(workerId: string): Promise<boolean> {
    return conditionHeld(() =>
      this.dynamo.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { workerId },
          ConditionExpression: '#status IN (:offline, :lost)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':offline': 'OFFLINE', ':lost': 'LOST' },
        }),
      ),
    );
  }

  async get(workerId: string): Promise<WorkerRecord | undefined> {
    const result = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: { workerId }, ConsistentRead: true }),
    );
    const record = result.Item as WorkerRecord | undefined;
    return record && this.fresh(record) ? record : undefined;
  }

  /** Workers seen within the retention window, newest start first. */
  async list(): Promise<WorkerRecord[]> {
    const records = await scanAll<WorkerRecord>(this.dynamo, { TableName: this.tableName });
    return records
      .filter((record) => this.fresh(record))
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  private fresh(record: WorkerRecord): boolean {
    return Date.parse(record.lastHeartbeatAt) + RETENTION_MS > this.clock();
  }
}
