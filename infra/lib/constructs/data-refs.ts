/**
 * The runtime stack's view of the stateful stack's tables and queues, by name. Names come from
 * core (`tableNameFor`, `queueNameFor`) and the indexes from `TABLES`, so the two stacks share no
 * CloudFormation exports: either can be updated alone, and nothing locks a table to a stack.
 */
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLES, TABLE_NAMES, queueNameFor, tableNameFor, type TableName } from '@warden/core';

export interface WardenData {
  tables: Record<TableName, dynamodb.ITable>;
  workQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
}

export class WardenDataRefs extends Construct implements WardenData {
  readonly tables: Record<TableName, dynamodb.ITable>;
  readonly workQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: { prefix: string }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.tables = Object.fromEntries(
      TABLE_NAMES.map((name) => [
        name,
        dynamodb.Table.fromTableAttributes(this, name, {
          tableName: tableNameFor(props.prefix, name),
          globalIndexes: TABLES[name].globalIndexes.map((index) => index.indexName),
        }),
      ]),
    ) as Record<TableName, dynamodb.ITable>;
    const queue = (key: 'work' | 'deadLetter') => {
      const queueName = queueNameFor(props.prefix, key);
      return sqs.Queue.fromQueueAttributes(this, key, {
        queueName,
        queueArn: stack.formatArn({ service: 'sqs', resource: queueName }),
        queueUrl: `https://sqs.${stack.region}.${stack.urlSuffix}/${stack.account}/${queueName}`,
      });
    };
    this.workQueue = queue('work');
    this.deadLetterQueue = queue('deadLetter');
  }
}
