import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkerMode, WorkerSample } from '../domain.js';
import { DAY_MS, epochSeconds, iso, systemClock, type Clock } from '../time.js';
import { queryAll } from './dynamo-helpers.js';

/**
 * Two days: longer than the longest rollout window (24 h) the API serves. TTL is cleanup only;
 * reads bound themselves by time.
 */
const RETENTION_MS = 2 * DAY_MS;

export type WorkerSampleInput = Omit<WorkerSample, 'sampleKey' | 'at' | 'expiresAt'>;

/**
 * A worker's history for the rollout comparison: one row per heartbeat (executions in flight,
 * memory), per pool-process recycle and per pool-process exit, partitioned by mode and sorted by
 * time. The volume is bounded by design: a row per worker per heartbeat interval (10 s) plus the
 * rare recycles, kept two days.
 */
export class WorkerSamplesRepository {
  private seq = 0;

  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(input: WorkerSampleInput): Promise<WorkerSample> {
    const now = this.clock();
    const at = iso(now);
    // The sequence keeps two rows of one worker in the same millisecond apart.
    const sample: WorkerSample = {
      ...input,
      at,
      sampleKey: `${at}#${input.workerId}#${input.kind}#${(this.seq++ % 1000).toString().padStart(3, '0')}`,
      expiresAt: epochSeconds(now + RETENTION_MS),
    };
    await this.dynamo.send(new PutCommand({ TableName: this.tableName, Item: sample }));
    return sample;
  }

  /** One mode's rows with `at` in [fromIso, toIso), oldest first. */
  async list(mode: WorkerMode, fromIso: string, toIso: string): Promise<WorkerSample[]> {
    // Every key starts with its ISO instant, so a key range is a time range; `~` sorts after
    // every character a key holds, so keys stamped exactly fromIso are included.
    const rows = await queryAll<WorkerSample>(this.dynamo, {
      TableName: this.tableName,
      KeyConditionExpression: '#mode = :mode AND sampleKey BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#mode': 'mode' },
      ExpressionAttributeValues: { ':mode': mode, ':from': fromIso, ':to': toIso },
    });
    return rows.filter((row) => row.at >= fromIso && row.at < toIso);
  }
}
