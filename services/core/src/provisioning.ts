/**
 * Creates Warden's tables and queues from the shared definitions, idempotently. Used by the
 * local stack and the test harness; in AWS, CDK creates the same resources from the same
 * definitions (infra/).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  QUEUES,
  TABLE_NAMES,
  TABLES,
  queueNameFor,
  type QueueDefinition,
  type TableDefinition,
  type TableName,
} from './resources.js';

export function createTableInput(
  definition: TableDefinition,
  tableName: string,
): CreateTableCommandInput {
  const attributes = new Map<string, string>();
  const keys = [
    definition.partitionKey,
    definition.sortKey,
    ...definition.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  for (const key of keys) if (key) attributes.set(key.name, key.type);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType: AttributeType as 'S' | 'N',
    })),
    KeySchema: [
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      ...(definition.sortKey
        ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' as const }]
        : []),
    ],
    GlobalSecondaryIndexes: definition.globalIndexes.length
      ? definition.globalIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
            ...(index.sortKey
              ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }]
              : []),
          ],
          Projection: index.nonKeyAttributes
            ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: index.nonKeyAttributes }
            : { ProjectionType: 'ALL' as const },
        }))
      : undefined,
  };
}

export interface ProvisionReport {
  created: string[];
  existing: string[];
  /** Tables whose TTL could not be enabled (the embedded emulator lacks UpdateTimeToLive). */
  ttlUnsupported: string[];
}

export async function ensureTables(
  dynamo: DynamoDBClient,
  tables: Record<TableName, string>,
): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], existing: [], ttlUnsupported: [] };
  for (const logical of TABLE_NAMES) {
    const definition = TABLES[logical];
    const tableName = tables[logical];
    try {
      await dynamo.send(new CreateTableCommand(createTableInput(definition, tableName)));
      report.created.push(tableName);
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      report.existing.push(tableName);
    }
    await waitForActive(dynamo, tableName);
    if (definition.ttlAttribute) {
      try {
        await dynamo.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
          }),
        );
      } catch (error) {
        // Already enabled (ValidationException in AWS) or not implemented by the emulator:
        // TTL is cleanup only, so carry on and say so.
        if (!(
          error instanceof Error &&
          error.name === 'ValidationException' &&
          /already enabled/i.test(error.message)
        )) {
          report.ttlUnsupported.push(tableName);
        }
      }
    }
  }
  return report;
}

async function waitForActive(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (
      Table?.TableStatus === 'ACTIVE' &&
      (Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE')
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`table ${tableName} did not become ACTIVE within 30 s`);
}

export interface QueueUrls {
  queueUrl: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

const queueAttributes = (definition: QueueDefinition): Record<string, string> => ({
  VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
  ReceiveMessageWaitTimeSeconds: String(definition.receiveWaitTimeSeconds),
  MessageRetentionPeriod: String(definition.retentionSeconds),
});

/** Creates the work queue and its dead-letter queue (CreateQueue is idempotent in SQS). */
export async function ensureQueues(sqs: SQSClient, prefix: string): Promise<QueueUrls> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueNameFor(prefix, 'deadLetter'),
      Attributes: queueAttributes(QUEUES.deadLetter),
    }),
  );
  const deadLetterQueueUrl = dlq.QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const deadLetterQueueArn = Attributes?.QueueArn as string;
  const work = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueNameFor(prefix, 'work'),
      Attributes: {
        ...queueAttributes(QUEUES.work),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: deadLetterQueueArn,
          maxReceiveCount: QUEUES.work.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: work.QueueUrl as string, deadLetterQueueUrl, deadLetterQueueArn };
}
