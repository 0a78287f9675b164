/**
 * The audit trail: one row per mutating admin request, written once and never changed. The
 * repository has no update or delete on purpose, and the API's IAM role may only PutItem (with
 * the condition below) and read this table.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INDEX } from '../resources.js';
import { isConditionFailure, sortKeyRange } from './dynamo-helpers.js';

export const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEntry {
  /** `${at}#${requestId}`: sorts by time and is unique per request. */
  entryKey: string;
  /** ISO-8601 instant the request was answered. */
  at: string;
  requestId: string;
  /** Principal id (`local-admin`, a Cognito user name, ...). */
  actor: string;
  /** The actor's role when it acted: `admin`, `viewer` or `none`. */
  actorRole: string;
  /** `<resource>.<verb>`, derived from the route, e.g. `workflow.pause`. */
  action: string;
  method: string;
  /** The route pattern, e.g. `/api/platform/workers/:workerId/stop`. */
  route: string;
  /** The first path parameter, else an id named in the body, else the resource. */
  target: string;
  /** Every path parameter, decoded. */
  params?: Record<string, string>;
  status: number;
  outcome: AuditOutcome;
  /** The error message answered, when the request did not succeed. */
  message?: string;
  /** The request body when small (JSON, at most 2 KB), else a note of its size. */
  body?: unknown;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  /** ISO instants bounding `at` (inclusive from, exclusive to). */
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor?: string;
}

const SCOPE = 'audit';
/** A filtered page reads at most this many DynamoDB pages, then hands back a cursor. */
const MAX_READS_PER_PAGE = 20;

export class DuplicateAuditEntryError extends Error {
  constructor(readonly entryKey: string) {
    super(`audit entry ${entryKey} already exists and cannot be replaced`);
    this.name = 'DuplicateAuditEntryError';
  }
}

export const encodeAuditCursor = (entryKey: string): string =>
  Buffer.from(JSON.stringify({ k: entryKey })).toString('base64url');

export function decodeAuditCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { k?: unknown };
    if (typeof parsed.k === 'string' && parsed.k.includes('#')) return parsed.k;
  } catch {
    // Reported below.
  }
  throw new RangeError('not a cursor this API issued');
}

export class AuditRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Appends one entry; an existing key is never overwritten. */
  async append(entry: Omit<AuditEntry, 'entryKey'>): Promise<AuditEntry> {
    const row: AuditEntry & { scope: string } = {
      ...entry,
      entryKey: `${entry.at}#${entry.requestId}`,
      scope: SCOPE,
    };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: row,
          ConditionExpression: 'attribute_not_exists(entryKey)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new DuplicateAuditEntryError(row.entryKey);
      throw error;
    }
    const { scope: _scope, ...stored } = row;
    return stored;
  }

  /**
   * Entries newest first. A target or actor filter reads its own index; the other filters are
   * applied to what the key condition returns. The cursor is the last entry's key.
   */
  async list(query: AuditQuery): Promise<AuditPage> {
    const before = query.cursor ? decodeAuditCursor(query.cursor) : query.to;
    const [index, keyName, keyValue] = query.target
      ? [INDEX.auditByTarget, 'target', query.target]
      : query.actor
        ? [INDEX.auditByActor, 'actor', query.actor]
        : [undefined, 'scope', SCOPE];
    const names: Record<string, string> = { '#pk': keyName };
    const range = sortKeyRange('entryKey', query.from, before, 'exclusive');
    const values: Record<string, unknown> = { ':pk': keyValue, ...range.values };
    const conditions = ['#pk = :pk', ...(range.condition ? [range.condition] : [])];
    const filters: string[] = [];
    for (const field of ['actor', 'action'] as const) {
      const value = query[field];
      if (value !== undefined && field !== keyName) {
        filters.push(`#${field} = :${field}`);
        names[`#${field}`] = field;
        values[`:${field}`] = value;
      }
    }
    const items: AuditEntry[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    let lastRead: string | undefined;
    let reads = 0;
    do {
      const page = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: conditions.join(' AND '),
          FilterExpression: filters.length ? filters.join(' AND ') : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit + 1,
          ExclusiveStartKey,
        }),
      );
      reads += 1;
      // BETWEEN is inclusive; the upper bound is exclusive.
      items.push(
        ...((page.Items ?? []) as (AuditEntry & { scope?: string })[])
          .filter((item) => !before || item.entryKey < before)
          .map(({ scope: _scope, ...entry }) => entry),
      );
      ExclusiveStartKey = page.LastEvaluatedKey;
      lastRead = ExclusiveStartKey?.entryKey as string | undefined;
    } while (ExclusiveStartKey && items.length <= query.limit && reads < MAX_READS_PER_PAGE);

    if (items.length > query.limit) {
      const page = items.slice(0, query.limit);
      return { items: page, nextCursor: encodeAuditCursor(page.at(-1)!.entryKey) };
    }
    // The read budget ran out before the page filled: continue from where the reading stopped.
    return {
      items,
      nextCursor: ExclusiveStartKey && lastRead ? encodeAuditCursor(lastRead) : undefined,
    };
  }
}
