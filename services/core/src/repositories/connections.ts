import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord } from '../domain.js';
import { epochSeconds, iso, systemClock, type Clock } from '../time.js';
import { scanAll } from './dynamo-helpers.js';

/** API Gateway closes WebSocket connections after 2 h; keep rows a little longer. */
const CONNECTION_LIFETIME_MS = 2 * 3600 * 1000 + 5 * 60 * 1000;

export class ConnectionsRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async add(connectionId: string, principal: string): Promise<ConnectionRecord> {
    const now = this.clock();
    const record: ConnectionRecord = {
      connectionId,
      principal,
      connectedAt: iso(now),
      expiresAt: epochSeconds(now + CONNECTION_LIFETIME_MS),
    };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: record }));
    return record;
  }

  async remove(connectionId: string): Promise<void> {
    await this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { connectionId } }));
  }

  /** Connections that can still be open (expired rows are ignored whether or not TTL ran). */
  async listActive(): Promise<ConnectionRecord[]> {
    return scanAll<ConnectionRecord>(this.dynamo, {
      TableName: this.tableName,
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':now': epochSeconds(this.clock()) },
    });
  }
}
