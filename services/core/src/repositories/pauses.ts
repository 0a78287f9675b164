import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { WorkflowPause } from '../domain.js';
import { iso, systemClock, type Clock } from '../time.js';
import { isConditionFailure, scanAll } from './dynamo-helpers.js';

/**
 * Paused workflows. A pause lives in the Blacklist table under its own sort key (`PAUSED`), beside
 * but apart from the blacklist's ACTIVE row: the table is already keyed by workflow, already read
 * by every worker and written by the API, so no new table or grant is needed. The blacklist's own
 * reads filter on `ACTIVE` and never see it.
 */
const PAUSED = 'PAUSED';

type Row = WorkflowPause & { entryKey: string };
const strip = ({ entryKey: _key, ...pause }: Row): WorkflowPause => pause;

export class PausesRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(workflowId: string): Promise<WorkflowPause | undefined> {
    const result = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { workflowId, entryKey: PAUSED },
        ConsistentRead: true,
      }),
    );
    return result.Item ? strip(result.Item as Row) : undefined;
  }

  async list(): Promise<WorkflowPause[]> {
    const rows = await scanAll<Row>(this.dynamo, {
      TableName: this.tableName,
      FilterExpression: 'entryKey = :paused',
      ExpressionAttributeValues: { ':paused': PAUSED },
    });
    return rows.map(strip).sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  }

  /** Pauses a workflow unless it already is; the first pause wins and is returned. */
  async pause(
    workflowId: string,
    reason: string,
    pausedBy: string,
  ): Promise<{ created: boolean; pause: WorkflowPause }> {
    const pause: WorkflowPause = { workflowId, reason, pausedBy, pausedAt: iso(this.clock()) };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...pause, entryKey: PAUSED },
          ConditionExpression: 'attribute_not_exists(workflowId)',
        }),
      );
      return { created: true, pause };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { created: false, pause: (await this.get(workflowId)) ?? pause };
    }
  }

  /** Resumes a workflow; returns the pause it ended, or undefined when it was not paused. */
  async resume(workflowId: string): Promise<WorkflowPause | undefined> {
    const result = await this.dynamo.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { workflowId, entryKey: PAUSED },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return result.Attributes ? strip(result.Attributes as Row) : undefined;
  }
}
