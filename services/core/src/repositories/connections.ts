import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectionRecord } from '../domain.js';
import { iso, systemClock, type Clock } from '../time.js';
import { scanAll } from './dynamo-helpers.js';

/** API Gateway closes WebSocket connections after 2 h; keep rows a little longer. */
const CONNECTION_LIFETIME_MS = 2 * 3600 * 1000 + 5 * 60 * 1000;

export class ConnectionsRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Stores a connection until API Gateway would close it or, sooner, its token expires
   * (`tokenExpiresAt`, epoch ms): the token is checked only at the handshake, so the row carries
   * its expiry and the publisher drops the connection once it passes.
   */
  async add(
    connectionId: string,
    principal: string,
    tokenExpiresAt?: number,
  ): Promise<ConnectionRecord> {
    const now = this.clock();
    const until = Math.min(now + CONNECTION_LIFETIME_MS, tokenExpiresAt ?? Infinity);
    const record: ConnectionRecord = {
      connectionId,
      principal,
      connectedAt: iso(now),
      expiresAt: Math.floor(until / 1000),
      ...(tokenExpiresAt !== undefined ? { tokenExpiresAt: iso(tokenExpiresAt) } : {}),
    };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: record }));
    return record;
  }

  async remove(connectionId: string): Promise<void> {
    await this.dynamo.send(new DeleteCommand({ TableName: this.tableName, Key: { connectionId } }));
  }

  /** Connections that can still be open (expired rows are ignored whether or not TTL ran). */
  async listActive(): Promise<ConnectionRecord[]> {
    return (await this.listAll()).active;
  }

  /**
   * Every stored connection, split by whether it may still receive events: `expired` ones (their
   * token or lifetime ran out) are for the publisher to close and delete.
   */
  async listAll(): Promise<{ active: ConnectionRecord[]; expired: ConnectionRecord[] }> {
    const now = this.clock() / 1000;
    const rows = await scanAll<ConnectionRecord>(this.dynamo, { TableName: this.tableName });
    return {
      active: rows.filter((row) => row.expiresAt > now),
      expired: rows.filter((row) => row.expiresAt <= now),
    };
  }
}
