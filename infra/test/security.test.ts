/**
 * Least privilege and cdk-nag. Each role's permissions are listed below from what its code calls
 * (repositories, AWS clients) and compared with the synthesized policies line by line: a missing
 * line means the code would fail in AWS, an extra line is a permission nobody uses. cdk-nag's
 * AwsSolutions pack must report nothing unacknowledged, and every acknowledgement has a reason.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES, type TableName } from '@warden/core';
import {
  logicalIdPaths,
  rolePermissions,
  synthWarden,
  type SynthesizedWarden,
} from './support/synth.js';

let app: SynthesizedWarden;

beforeAll(() => {
  app = synthWarden({ canary: true, alarmEmail: 'oncall@example.com' });
}, 120_000);

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** Lines for a table (and its indexes, when core gives it any): exactly these actions. */
function table(name: TableName, ...actions: string[]): string[] {
  const tableArn = arn('dynamodb', `table/warden-${name}`);
  const resources = TABLES[name].globalIndexes.length
    ? [tableArn, `${tableArn}/index/*`]
    : [tableArn];
  return actions.flatMap((action) => resources.map((r) => `dynamodb:${action} ${r}`));
}

const logs = (path: string) => [
  `logs:CreateLogStream <${path}/Logs.Arn>`,
  `logs:PutLogEvents <${path}/Logs.Arn>`,
];
// POST an event; DELETE a connection whose token expired.
const postToConnections = [
  `execute-api:ManageConnections ${arn('execute-api', '<LiveEvents/Api>/live/POST/@connections/*')}`,
  `execute-api:ManageConnections ${arn('execute-api', '<LiveEvents/Api>/live/DELETE/@connections/*')}`,
];
const clusterTasks = arn('ecs', 'task/<Workers/Cluster>/*');

const APPEND_ONLY = ['GetItem', 'PutItem', 'Query', 'Scan'];
const expected = (lines: string[]) => [...new Set(lines)].sort();

const EXPECTED: Record<string, string[]> = {
  'Workers/TaskRole': expected([
    // consumer: claim / renew lease / finish / fail unrun / retry are conditional updates; a
    // refused claim and a cancel command read the record
    ...table('Executions', 'GetItem', 'UpdateItem'),
    // stuck records for the circuit breaker
    ...table('StuckRecords', 'PutItem'),
    // register, heartbeat, status
    ...table('Workers', 'PutItem', 'UpdateItem'),
    // heartbeat, recycle and pool-exit samples for the rollout comparison
    ...table('WorkerSamples', 'PutItem'),
    // the blacklist cache scans the active entries; the pause cache reads a workflow's pause
    ...table('Blacklist', 'GetItem', 'Scan'),
    // recycle commands: list pending, complete
    ...table('WorkerCommands', 'Query', 'UpdateItem'),
    // the event publisher scans connections and deletes vanished ones
    ...table('Connections', 'Scan', 'DeleteItem'),
    ...postToConnections,
    `sqs:ReceiveMessage ${arn('sqs', 'warden-work')}`,
    `sqs:DeleteMessage ${arn('sqs', 'warden-work')}`,
    `sqs:ChangeMessageVisibility ${arn('sqs', 'warden-work')}`,
    // a paused workflow's message is sent back to wait; a failed attempt is queued as a retry
    `sqs:SendMessage ${arn('sqs', 'warden-work')}`,
    // invalid messages are moved to the dead-letter queue with their reason
    `sqs:SendMessage ${arn('sqs', 'warden-work-dlq')}`,
    // scale-in protection while executions run
    `ecs:UpdateTaskProtection ${clusterTasks}`,
    // short-lived credentials for workflows, of their own role
    'sts:AssumeRole <WorkflowRole/Role.Arn>',
  ]),
  // Holds nothing until the platform team grants what workflows need.
  'WorkflowRole/Role': [],
  'Workers/ExecutionRole': expected([
    `ecr:BatchCheckLayerAvailability ${arn('ecr', `repository/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`)}`,
    `ecr:BatchGetImage ${arn('ecr', `repository/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`)}`,
    `ecr:GetDownloadUrlForLayer ${arn('ecr', `repository/cdk-hnb659fds-container-assets-${ACCOUNT}-${REGION}`)}`,
    'ecr:GetAuthorizationToken *',
    'logs:CreateLogStream <Workers/Logs.Arn>',
    'logs:PutLogEvents <Workers/Logs.Arn>',
  ]),
  'CircuitBreaker/Handler/Role': expected([
    ...table('SystemConfig', 'GetItem'),
    // stuck records inside the window (the byTime index)
    ...table('StuckRecords', 'Query'),
    // execution counts for the stuck rate; dead-lettered and lost executions are read and failed
    ...table('Executions', 'GetItem', 'Query', 'UpdateItem'),
    // fleet health; lost workers are marked
    ...table('Workers', 'Scan', 'UpdateItem'),
    // the dead-letter queue is peeked (visibility 0), never emptied
    `sqs:ReceiveMessage ${arn('sqs', 'warden-work-dlq')}`,
    // counter resets and active entries are read; trips add entries (a refused add reads it)
    ...table('Blacklist', 'GetItem', 'Scan', 'PutItem'),
    ...table('Connections', 'Scan', 'DeleteItem'),
    ...postToConnections,
    'sns:Publish <Alerts/Topic>',
    'kms:Decrypt <Alerts/Key.Arn>',
    'kms:GenerateDataKey* <Alerts/Key.Arn>',
    ...logs('CircuitBreaker/Handler'),
  ]),
  'AdminApi/Handler/Role': expected([
    // submit writes QUEUED records (and FAILED when the send fails); list / get / counts
    ...table('Executions', 'GetItem', 'Query', 'PutItem', 'UpdateItem'),
    // list / get workers; a stopped silent worker is marked; a lost one is dismissed
    ...table('Workers', 'GetItem', 'Scan', 'UpdateItem', 'DeleteItem'),
    // recycle commands (a repeated request reads the existing one)
    ...table('WorkerCommands', 'GetItem', 'Query', 'PutItem'),
    // blacklist list / add / remove (history row, counter reset, delete); pause / resume
    ...table('Blacklist', 'GetItem', 'Scan', 'PutItem', 'DeleteItem'),
    // config get / put
    ...table('SystemConfig', 'GetItem', 'PutItem'),
    // stuck history
    ...table('StuckRecords', 'Query'),
    // the rollout comparison reads the workers' samples
    ...table('WorkerSamples', 'Query'),
    ...table('Connections', 'Scan', 'DeleteItem'),
    // the audit trail: appended to, read, never changed or deleted
    ...table('AuditLog', ...APPEND_ONLY),
    ...postToConnections,
    `sqs:SendMessage ${arn('sqs', 'warden-work')}`,
    `sqs:GetQueueAttributes ${arn('sqs', 'warden-work')}`,
    `sqs:GetQueueAttributes ${arn('sqs', 'warden-work-dlq')}`,
    // dead letters: listed (peek), redriven by id (taken, sent back, deleted) or all at once by
    // SQS's message move task, and deleted
    `sqs:ReceiveMessage ${arn('sqs', 'warden-work-dlq')}`,
    `sqs:ChangeMessageVisibility ${arn('sqs', 'warden-work-dlq')}`,
    `sqs:DeleteMessage ${arn('sqs', 'warden-work-dlq')}`,
    `sqs:StartMessageMoveTask ${arn('sqs', 'warden-work-dlq')}`,
    // stop a silent worker's task
    `ecs:StopTask ${clusterTasks} if {ArnEquals: {ecs:cluster: <Workers/Cluster.Arn>}}`,
    ...logs('AdminApi/Handler'),
  ]),
  // Verifies Cognito JWTs against the pool's public keys: no AWS permission.
  'LiveEvents/Authorizer/Role': expected(logs('LiveEvents/Authorizer')),
  'LiveEvents/Connect/Role': expected([
    ...table('Connections', 'PutItem'),
    ...logs('LiveEvents/Connect'),
  ]),
  'LiveEvents/Disconnect/Role': expected([
    ...table('Connections', 'DeleteItem'),
    ...logs('LiveEvents/Disconnect'),
  ]),
  // Answers a ping in its own response: no AWS permission.
  'LiveEvents/Message/Role': expected(logs('LiveEvents/Message')),
};

/** Roles CDK creates for its own machinery, and what they hold. */
const CDK_MANAGED: Record<string, (permissions: string[]) => void> = {
  // Application Auto Scaling acts through its service-linked role for ECS; this one holds nothing.
  'Baseline/ScalableTarget/Role': (permissions) => expect(permissions).toEqual([]),
  // VPC flow logs write to their own log group only.
  'Workers/Vpc/rejected/IAMRole': (permissions) => {
    for (const line of permissions) expect(line).toMatch(/^logs:\S+ <Workers\/FlowLogs\.Arn>$/);
  },
};
const BUCKET_DEPLOYMENT = /^Custom::CDKBucketDeployment[0-9A-F]+512MiB\/ServiceRole$/;

describe('least privilege', () => {
  it.each(Object.keys(EXPECTED))('%s can do exactly what its code does', (rolePath) => {
    const actual = rolePermissions(app.runtime, app.runtimeTemplate, rolePath);
    const wanted = EXPECTED[rolePath]!;
    expect({
      missing: wanted.filter((line) => !actual.includes(line)),
      extra: actual.filter((line) => !wanted.includes(line)),
    }).toEqual({ missing: [], extra: [] });
  });

  it('every role in the stack is accounted for', () => {
    const paths = logicalIdPaths(app.runtime);
    const roles = Object.keys(app.runtimeTemplate.findResources('AWS::IAM::Role')).map((id) =>
      paths.get(id)!,
    );
    for (const role of roles) {
      if (role in EXPECTED) continue;
      if (role in CDK_MANAGED) {
        CDK_MANAGED[role]!(rolePermissions(app.runtime, app.runtimeTemplate, role));
        continue;
      }
      expect(role, 'a role nobody reviewed').toMatch(BUCKET_DEPLOYMENT);
    }
    expect(roles.filter((role) => role in EXPECTED).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('no role can change or delete an audit entry, and only the API may append one', () => {
    const paths = logicalIdPaths(app.runtime);
    const auditTable = arn('dynamodb', 'table/warden-AuditLog');
    const writers: string[] = [];
    for (const id of Object.keys(app.runtimeTemplate.findResources('AWS::IAM::Role'))) {
      const role = paths.get(id)!;
      // CDK's asset-copying role holds only the Lambda basic execution managed policy.
      if (BUCKET_DEPLOYMENT.test(role)) continue;
      const onAudit = rolePermissions(app.runtime, app.runtimeTemplate, role).filter((line) =>
        line.includes(auditTable),
      );
      for (const line of onAudit) {
        expect(line, `${role} may not change audit entries`).not.toMatch(
          /dynamodb:(UpdateItem|DeleteItem|BatchWriteItem|PartiQL\w*|DeleteTable|UpdateTable|\*) /,
        );
        if (line.startsWith('dynamodb:PutItem ')) writers.push(role);
      }
    }
    expect([...new Set(writers)]).toEqual(['AdminApi/Handler/Role']);
  });

  it('lets AWS services act only on behalf of this stack (confused-deputy guards)', () => {
    // Every service allowed to invoke a function is pinned to the one API or rule that may.
    const permissions = Object.values(
      app.runtimeTemplate.findResources('AWS::Lambda::Permission'),
    ) as { Properties: { Principal: string; SourceArn?: unknown } }[];
    expect(permissions.length).toBeGreaterThan(0);
    for (const { Properties } of permissions) {
      expect(Properties.Principal).toMatch(/^(apigateway|events)\.amazonaws\.com$/);
      expect(Properties.SourceArn, Properties.Principal).toBeDefined();
    }
    // CloudWatch may use the alerts key only for alarms of this account.
    const [key] = Object.values(app.runtimeTemplate.findResources('AWS::KMS::Key')) as {
      Properties: { KeyPolicy: { Statement: Record<string, unknown>[] } };
    }[];
    const cloudwatch = key!.Properties.KeyPolicy.Statement.find(
      (statement) => statement.Sid === 'CloudWatchAlarmsPublish',
    ) as { Condition: { StringEquals: Record<string, string>; ArnLike: Record<string, unknown> } };
    expect(cloudwatch.Condition.StringEquals).toEqual({ 'aws:SourceAccount': ACCOUNT });
    expect(JSON.stringify(cloudwatch.Condition.ArnLike['aws:SourceArn'])).toContain(
      `:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`,
    );
  });

  it('the stateful stack grants nothing to anyone', () => {
    app.statefulTemplate.resourceCountIs('AWS::IAM::Role', 0);
    app.statefulTemplate.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('cdk-nag AwsSolutions', () => {
  const violations = (synth: SynthesizedWarden) =>
    new AwsSolutionsChecks(synth.app).validateScope(synth.app).violations.map((v) => ({
      rule: v.ruleName,
      at: v.violatingResources.map((r) => r.constructPath),
    }));

  it('reports no unacknowledged finding for a canary deployment with alarm e-mail', () => {
    expect(violations(app)).toEqual([]);
  });

  it('reports no unacknowledged finding without NAT, without a built admin app', () => {
    const variant = synthWarden(
      { natGateways: 0, useThreadWorkers: true },
      { adminDistDir: '/nonexistent/admin-ui/dist' },
    );
    expect(violations(variant)).toEqual([]);
  }, 120_000);

  it('acknowledges only these rules, each with a written reason', () => {
    const acknowledged = new Map<string, string[]>();
    for (const node of app.app.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          const rule = id.replace(/^\w+::/, '').replace(/\[.*$/, '');
          // CDK acknowledges some of its own CloudFormation-schema findings internally.
          if (!rule.startsWith('AwsSolutions-')) continue;
          expect(reason.length, `reason for ${id} at ${node.node.path}`).toBeGreaterThan(40);
          acknowledged.set(rule, [...(acknowledged.get(rule) ?? []), node.node.path]);
        }
      }
    }
    expect([...acknowledged.keys()].sort()).toEqual([
      'AwsSolutions-APIG4', // $disconnect / $default ride the authorized connection
      'AwsSolutions-CFR1', // no geo restriction for admins
      'AwsSolutions-CFR2', // no WAF on a static admin app
      'AwsSolutions-CFR4', // default CloudFront certificate
      'AwsSolutions-COG8', // Cognito Plus plan
      'AwsSolutions-DDB3', // no PITR on short-lived tables
      'AwsSolutions-ECS2', // non-secret environment
      'AwsSolutions-IAM4', // CDK's bucket-deployment helper only
      'AwsSolutions-IAM5', // index/*, @connections/*, task/*, KMS data keys, ECR token
      'AwsSolutions-L1', // CDK's bucket-deployment helper only
      'AwsSolutions-S1', // the access-log bucket itself
    ]);
    for (const path of acknowledged.get('AwsSolutions-IAM4')!) {
      expect(path).toMatch(/Custom::CDKBucketDeployment/);
    }
    const ddb3 = acknowledged.get('AwsSolutions-DDB3')!.map((path) => path.split('/').pop());
    expect(ddb3.sort()).toEqual(
      Object.values(TABLES)
        .filter((t) => !t.critical)
        .map((t) => t.logicalName)
        .sort(),
    );
  });
});
