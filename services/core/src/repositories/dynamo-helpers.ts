import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** True when a write was refused by its condition expression. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** Runs a conditional write: its result, or undefined when its condition refused it. */
export async function unlessRefused<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Runs a conditional write: true when it was made, false when its condition refused it. */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  const written = await unlessRefused(async () => {
    await write();
    return true;
  });
  return written ?? false;
}

/**
 * The sort-key part of a key condition for an optional range, with its values. DynamoDB's BETWEEN
 * includes both ends: with an exclusive upper bound a lone one becomes `<`, and a caller given both
 * must still drop the rows equal to the upper one.
 */
export function sortKeyRange(
  attribute: string,
  from: string | undefined,
  to: string | undefined,
  upper: 'inclusive' | 'exclusive',
): { condition?: string; values: Record<string, string> } {
  if (from && to) {
    return {
      condition: `${attribute} BETWEEN :from AND :to`,
      values: { ':from': from, ':to': to },
    };
  }
  if (from) return { condition: `${attribute} >= :from`, values: { ':from': from } };
  if (to) {
    const operator = upper === 'exclusive' ? '<' : '<=';
    return { condition: `${attribute} ${operator} :to`, values: { ':to': to } };
  }
  return { values: {} };
}

/** Reads every page of a query. Only for result sets bounded by design. */
export async function queryAll<T>(
  dynamo: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...((page.Items ?? []) as T[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Reads every page of a scan. Only for small tables (workers, connections, blacklist). */
export async function scanAll<T>(
  dynamo: DynamoDBDocumentClient,
  input: ScanCommandInput,
): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ ...input, ExclusiveStartKey }));
    items.push(...((page.Items ?? []) as T[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
