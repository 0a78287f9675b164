/**
 * What must outlive any deployment: the tables, the queues and the admins' user pool. Every
 * resource is retained when the stack is deleted, and the stack itself is protected from
 * termination.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_NAMES, type TableName } from '@warden/core';
import { WardenTables } from './constructs/tables.js';
import { WorkQueues } from './constructs/queues.js';
import { AdminUsers } from './constructs/admin-auth.js';

export interface StatefulStackProps extends StackProps {
  prefix: string;
  /** Cognito group whose members are admins. */
  adminGroup: string;
  /** Cognito group whose members are viewers (read-only). */
  viewerGroup?: string;
}

export class StatefulStack extends Stack {
  readonly tables: Record<TableName, dynamodb.Table>;
  readonly workQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly adminUsers: AdminUsers;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    this.tables = new WardenTables(this, 'Tables', { prefix: props.prefix }).byName;
    const queues = new WorkQueues(this, 'Queues', { prefix: props.prefix });
    this.workQueue = queues.work;
    this.deadLetterQueue = queues.deadLetter;
    this.adminUsers = new AdminUsers(this, 'AdminUsers', {
      prefix: props.prefix,
      adminGroup: props.adminGroup,
      viewerGroup: props.viewerGroup ?? 'warden-viewers',
    });

    new CfnOutput(this, 'QueueUrl', { value: this.workQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    for (const name of TABLE_NAMES) {
      new CfnOutput(this, `Table${name}`, { value: this.tables[name].tableName });
    }
  }
}
