import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { BlacklistEntry } from '../domain.js';
import { iso, systemClock, type Clock } from '../time.js';
import { isConditionFailure, scanAll } from './dynamo-helpers.js';

const ACTIVE = 'ACTIVE';
const COUNTER = 'COUNTER';
const HISTORY_PREFIX = 'HISTORY#';

type Row = BlacklistEntry & { entryKey: string; counterResetAt?: string };

const strip = ({ entryKey: _key, counterResetAt: _reset, ...entry }: Row): BlacklistEntry => entry;

export interface AddResult {
  /** False when the workflow was already blacklisted; `entry` is then the existing one. */
  created: boolean;
  entry: BlacklistEntry;
}

/**
 * The blacklist: one ACTIVE row per blacklisted workflow, HISTORY rows for removed entries and a
 * COUNTER row holding when the workflow's stuck counter was last reset. Conditional writes keep
 * it idempotent without transactions.
 */
export class BlacklistRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async getActive(workflowId: string): Promise<BlacklistEntry | undefined> {
    const result = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { workflowId, entryKey: ACTIVE },
        ConsistentRead: true,
      }),
    );
    return result.Item ? strip(result.Item as Row) : undefined;
  }

  async listActive(): Promise<BlacklistEntry[]> {
    const rows = await scanAll<Row>(this.dynamo, {
      TableName: this.tableName,
      FilterExpression: 'entryKey = :active',
      ExpressionAttributeValues: { ':active': ACTIVE },
    });
    return rows.map(strip).sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  }

  /** Removed entries, newest removal first. */
  async listHistory(): Promise<BlacklistEntry[]> {
    const rows = await scanAll<Row>(this.dynamo, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(entryKey, :history)',
      ExpressionAttributeValues: { ':history': HISTORY_PREFIX },
    });
    return rows.map(strip).sort((a, b) => (b.removedAt ?? '').localeCompare(a.removedAt ?? ''));
  }

  /** Blacklists a workflow unless it already is; the first entry wins. */
  async add(
    input: Omit<BlacklistEntry, 'blacklistedAt' | 'removedAt' | 'removedBy'>,
  ): Promise<AddResult> {
    const entry: BlacklistEntry = { ...input, blacklistedAt: iso(this.clock()) };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...entry, entryKey: ACTIVE },
          ConditionExpression: 'attribute_not_exists(workflowId)',
        }),
      );
      return { created: true, entry };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.getActive(input.workflowId);
      return { created: false, entry: existing ?? entry };
    }
  }

  /**
   * Removes a workflow from the blacklist: keeps the entry as history, resets its stuck counter,
   * then deletes the active row. Returns undefined when it was not blacklisted.
   */
  async remove(workflowId: string, removedBy: string): Promise<BlacklistEntry | undefined> {
    const active = await this.getActive(workflowId);
    if (!active) return undefined;
    const removedAt = iso(this.clock());
    const removed: BlacklistEntry = { ...active, removedAt, removedBy };
    // Order matters without transactions: history and counter first, so a crash in between
    // leaves the workflow still blacklisted (safe) rather than unblacklisted without a trail.
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...removed, entryKey: `${HISTORY_PREFIX}${active.blacklistedAt}` },
      }),
    );
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { workflowId, entryKey: COUNTER, counterResetAt: removedAt },
      }),
    );
    try {
      await this.dynamo.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { workflowId, entryKey: ACTIVE },
          ConditionExpression: 'blacklistedAt = :at',
          ExpressionAttributeValues: { ':at': active.blacklistedAt },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return removed;
  }

  /** When each workflow's stuck counter was last reset (by removal from the blacklist). */
  async counterResets(): Promise<Map<string, string>> {
    const rows = await scanAll<Row>(this.dynamo, {
      TableName: this.tableName,
      FilterExpression: 'entryKey = :counter',
      ExpressionAttributeValues: { ':counter': COUNTER },
    });
    return new Map(
      rows
        .filter((row) => row.counterResetAt)
        .map((row) => [row.workflowId, row.counterResetAt as string]),
    );
  }
}
