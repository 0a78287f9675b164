/**
 * Every DynamoDB table, built from the one definition in `@warden/core` (`TABLES`): keys,
 * global indexes and TTL attribute are never restated here. Physical names are the ones core's
 * config derives from the prefix (`warden-Executions`), so the CLI and the outputs agree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import {
  TABLES,
  TABLE_NAMES,
  tableNameFor,
  type KeyDefinition,
  type TableDefinition,
  type TableName,
} from '@warden/core';

const attribute = (key: KeyDefinition): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

export interface WardenTablesProps {
  prefix: string;
}

export class WardenTables extends Construct {
  readonly byName: Record<TableName, dynamodb.Table>;

  constructor(scope: Construct, id: string, props: WardenTablesProps) {
    super(scope, id);
    this.byName = Object.fromEntries(
      TABLE_NAMES.map((name) => [name, this.table(props.prefix, TABLES[name])]),
    ) as Record<TableName, dynamodb.Table>;
  }

  private table(prefix: string, definition: TableDefinition): dynamodb.Table {
    const table = new dynamodb.Table(this, definition.logicalName, {
      tableName: tableNameFor(prefix, definition.logicalName),
      partitionKey: attribute(definition.partitionKey),
      sortKey: definition.sortKey ? attribute(definition.sortKey) : undefined,
      timeToLiveAttribute: definition.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: definition.critical },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
        ...(index.nonKeyAttributes
          ? {
              projectionType: dynamodb.ProjectionType.INCLUDE,
              nonKeyAttributes: index.nonKeyAttributes,
            }
          : { projectionType: dynamodb.ProjectionType.ALL }),
      });
    }
    if (!definition.critical) {
      acknowledge(table, {
        id: 'AwsSolutions-DDB3',
        reason: `${definition.logicalName} holds short-lived state (heartbeats, commands or connections) that the running system rewrites within seconds; a point-in-time restore would bring back nothing worth having.`,
      });
    }
    return table;
  }
}
