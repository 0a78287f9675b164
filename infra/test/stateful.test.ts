/**
 * The stateful stack: every table and queue exactly as core defines them (the local stack builds
 * the same definitions), retained, protected, with point-in-time recovery where data matters.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  QUEUES,
  TABLES,
  TABLE_NAMES,
  queueNameFor,
  tableNameFor,
  type KeyDefinition,
} from '@warden/core';
import { StatefulStack } from '../lib/stateful-stack.js';
import { TEST_ENV, cdkJsonContext } from './support/synth.js';

let stack: StatefulStack;
let template: Template;

beforeAll(() => {
  const app = new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false });
  stack = new StatefulStack(app, 'warden-stateful', {
    prefix: 'warden',
    adminGroup: 'platform-admins',
    env: TEST_ENV,
  });
  template = Template.fromStack(stack);
});

type TableResource = {
  Properties: {
    TableName: string;
    KeySchema: { AttributeName: string; KeyType: string }[];
    AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
    GlobalSecondaryIndexes?: {
      IndexName: string;
      KeySchema: { AttributeName: string; KeyType: string }[];
      Projection: { ProjectionType: string };
    }[];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled: boolean };
    DeletionProtectionEnabled?: boolean;
    BillingMode?: string;
  };
  DeletionPolicy: string;
  UpdateReplacePolicy: string;
};

const tableNamed = (name: string): TableResource => {
  const found = Object.values(
    template.findResources('AWS::DynamoDB::Table', { Properties: { TableName: name } }),
  );
  expect(found, `table ${name}`).toHaveLength(1);
  return found[0] as TableResource;
};

const keySchema = (partition: KeyDefinition, sort?: KeyDefinition) => [
  { AttributeName: partition.name, KeyType: 'HASH' },
  ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' }] : []),
];

describe('tables (from core TABLES)', () => {
  it('creates one table per definition in core, and no other', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', TABLE_NAMES.length);
  });

  it.each(TABLE_NAMES)('%s has the keys, indexes and TTL attribute core defines', (name) => {
    const definition = TABLES[name];
    const table = tableNamed(tableNameFor('warden', name)).Properties;
    expect(table.KeySchema).toEqual(keySchema(definition.partitionKey, definition.sortKey));

    const indexes = table.GlobalSecondaryIndexes ?? [];
    expect(indexes.map((index) => index.IndexName).sort()).toEqual(
      definition.globalIndexes.map((index) => index.indexName).sort(),
    );
    for (const index of definition.globalIndexes) {
      const deployed = indexes.find((candidate) => candidate.IndexName === index.indexName)!;
      expect(deployed.KeySchema).toEqual(keySchema(index.partitionKey, index.sortKey));
      expect(deployed.Projection).toEqual(
        index.nonKeyAttributes
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: index.nonKeyAttributes }
          : { ProjectionType: 'ALL' },
      );
    }

    // Every key attribute of the table and its indexes is declared with core's type.
    const keys = [
      definition.partitionKey,
      definition.sortKey,
      ...definition.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ].filter((key): key is KeyDefinition => Boolean(key));
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
      ),
    );
    expect(table.AttributeDefinitions).toHaveLength(new Set(keys.map((key) => key.name)).size);

    if (definition.ttlAttribute) {
      expect(table.TimeToLiveSpecification).toEqual({
        AttributeName: definition.ttlAttribute,
        Enabled: true,
      });
    } else {
      expect(table.TimeToLiveSpecification).toBeUndefined();
    }
  });

  it.each(TABLE_NAMES)(
    '%s survives stack deletion and replacement, and cannot be deleted by accident',
    (name) => {
      const table = tableNamed(tableNameFor('warden', name));
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    },
  );

  it('turns point-in-time recovery on for exactly the tables core marks critical', () => {
    for (const name of TABLE_NAMES) {
      const pitr = tableNamed(tableNameFor('warden', name)).Properties
        .PointInTimeRecoverySpecification;
      expect(pitr?.PointInTimeRecoveryEnabled ?? false, name).toBe(TABLES[name].critical);
    }
    // The data admins and the circuit breaker depend on is among them.
    for (const name of ['Executions', 'StuckRecords', 'Blacklist', 'SystemConfig'] as const) {
      expect(TABLES[name].critical).toBe(true);
    }
  });
});

describe('queues (from core QUEUES)', () => {
  it('redrives a message to the dead-letter queue after maxReceiveCount receives', () => {
    const dlq = template.findResources('AWS::SQS::Queue', {
      Properties: { QueueName: queueNameFor('warden', 'deadLetter') },
    });
    const dlqId = Object.keys(dlq)[0]!;
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: queueNameFor('warden', 'work'),
      VisibilityTimeout: QUEUES.work.visibilityTimeoutSeconds,
      ReceiveMessageWaitTimeSeconds: QUEUES.work.receiveWaitTimeSeconds,
      MessageRetentionPeriod: QUEUES.work.retentionSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: QUEUES.work.maxReceiveCount,
      },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: queueNameFor('warden', 'deadLetter'),
      MessageRetentionPeriod: QUEUES.deadLetter.retentionSeconds,
      RedrivePolicy: Match.absent(),
    });
  });

  it('keeps both queues when the stack is deleted and refuses plain HTTP', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    for (const queue of Object.values(queues)) {
      expect(queue.DeletionPolicy).toBe('Retain');
    }
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });
});

describe('admin user pool', () => {
  it('keeps the admins and their MFA enrolments through any runtime redeploy', () => {
    const pools = Object.values(template.findResources('AWS::Cognito::UserPool'));
    expect(pools).toHaveLength(1);
    expect(pools[0]!.DeletionPolicy).toBe('Retain');
    expect(pools[0]!.Properties.DeletionProtection).toBe('ACTIVE');
  });

  it('has no self sign-up, requires a TOTP second factor and has the admin group', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
      GroupName: 'platform-admins',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'warden-admin-123456789012',
    });
  });
});

describe('the stack', () => {
  it('is protected from termination', () => {
    expect(stack.terminationProtection).toBe(true);
  });

  it('outputs the queue URLs and every table name', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.filter((name) => !name.startsWith('ExportsOutput'))).toEqual(
      expect.arrayContaining([
        'QueueUrl',
        'DeadLetterQueueUrl',
        ...TABLE_NAMES.map((name) => `Table${name}`),
      ]),
    );
    expect(outputs.filter((name) => !name.startsWith('ExportsOutput'))).toHaveLength(
      2 + TABLE_NAMES.length,
    );
  });
});
