/**
 * The work queue and its dead-letter queue, built from `QUEUES` in `@warden/core`: timeouts,
 * retention and the redrive count are never restated here.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUES, queueNameFor, type QueueDefinition } from '@warden/core';

export interface WorkQueuesProps {
  prefix: string;
}

const common = (definition: QueueDefinition): sqs.QueueProps => ({
  visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
  receiveMessageWaitTime: Duration.seconds(definition.receiveWaitTimeSeconds),
  retentionPeriod: Duration.seconds(definition.retentionSeconds),
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.RETAIN,
});

export class WorkQueues extends Construct {
  readonly work: sqs.Queue;
  readonly deadLetter: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueuesProps) {
    super(scope, id);
    this.deadLetter = new sqs.Queue(this, QUEUES.deadLetter.logicalName, {
      ...common(QUEUES.deadLetter),
      queueName: queueNameFor(props.prefix, 'deadLetter'),
    });
    this.work = new sqs.Queue(this, QUEUES.work.logicalName, {
      ...common(QUEUES.work),
      queueName: queueNameFor(props.prefix, 'work'),
      deadLetterQueue: { queue: this.deadLetter, maxReceiveCount: QUEUES.work.maxReceiveCount },
    });
  }
}
