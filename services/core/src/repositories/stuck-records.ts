import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StuckRecord } from '../domain.js';
import { INDEX } from '../resources.js';
import { DAY_MS, epochSeconds, systemClock, type Clock } from '../time.js';
import { isConditionFailure, queryAll } from './dynamo-helpers.js';

const RETENTION_MS = 14 * DAY_MS;
const SCOPE = 'stuck';

export class StuckRecordsRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Writes one row per stuck execution; writing the same execution twice keeps one row. */
  async record(input: Omit<StuckRecord, 'stuckKey' | 'expiresAt'>): Promise<StuckRecord> {
    const row: StuckRecord & { scope: string } = {
      ...input,
      stuckKey: `${input.stuckAt}#${input.executionId}`,
      scope: SCOPE,
      expiresAt: epochSeconds(this.clock() + RETENTION_MS),
    };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: row,
          ConditionExpression: 'attribute_not_exists(stuckKey)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { scope: _scope, ...record } = row;
    return record;
  }

  /** Stuck records at or after `sinceIso`, across all workflows, oldest first. */
  async listSince(sinceIso: string): Promise<StuckRecord[]> {
    const rows = await queryAll<StuckRecord & { scope?: string }>(this.dynamo, {
      TableName: this.tableName,
      IndexName: INDEX.stuckByTime,
      KeyConditionExpression: '#scope = :scope AND stuckAt >= :since',
      ExpressionAttributeNames: { '#scope': 'scope' },
      ExpressionAttributeValues: { ':scope': SCOPE, ':since': sinceIso },
    });
    return rows.map(({ scope: _scope, ...record }) => record);
  }

  /** One workflow's stuck records at or after `sinceIso`. */
  async listForWorkflow(workflowId: string, sinceIso: string): Promise<StuckRecord[]> {
    return queryAll<StuckRecord>(this.dynamo, {
      TableName: this.tableName,
      KeyConditionExpression: 'workflowId = :w AND stuckKey >= :since',
      ExpressionAttributeValues: { ':w': workflowId, ':since': sinceIso },
    });
  }
}
