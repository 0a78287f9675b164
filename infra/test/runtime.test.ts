/**
 * The runtime stack as platform engineers deploy it: the rollout switches reaching the worker
 * containers (baseline and canary), scaling on backlog, the circuit-breaker schedule, both
 * authorizers, Cognito, the admin app's runtime config, and the outputs. One synthesized app per
 * context, shared by every assertion in this file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES, tableEnvVar, tableNameFor } from '@warden/core';
import { TOKEN_QUERY_PARAMETER } from '../lib/constructs/live-events.js';
import { logicalIdPaths, render, synthWarden, type SynthesizedWarden } from './support/synth.js';

type Env = { Name: string; Value: unknown }[];
type Resource = { Properties: Record<string, unknown> };

let baseline: SynthesizedWarden;
let canary: SynthesizedWarden;
let flagOn: SynthesizedWarden;

beforeAll(() => {
  baseline = synthWarden();
  canary = synthWarden({
    canary: true,
    threadPoolSize: 6,
    cancelGraceSeconds: 15,
    heartbeatIntervalSeconds: 5,
    desiredCount: 3,
    maxCount: 12,
    workerCpu: 2048,
    workerMemoryMiB: 4096,
  });
  flagOn = synthWarden({ useThreadWorkers: true });
}, 120_000);

/** The worker services of a deployment, by their `warden:rollout` tag, with their container. */
function services(synth: SynthesizedWarden) {
  const template = synth.runtimeTemplate;
  const tasks = template.findResources('AWS::ECS::TaskDefinition') as Record<string, Resource>;
  const byRole = new Map<string, { tags: Record<string, string>; task: Resource; env: Env }>();
  for (const [id, service] of Object.entries(template.findResources('AWS::ECS::Service'))) {
    const tags = Object.fromEntries(
      (service.Properties.Tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
    );
    const taskId = (service.Properties.TaskDefinition as { Ref: string }).Ref;
    const task = tasks[taskId]!;
    const [container] = task.Properties.ContainerDefinitions as { Environment: Env }[];
    byRole.set(tags['warden:rollout']!, {
      tags: { ...tags, serviceId: id },
      task,
      env: container!.Environment,
    });
  }
  return byRole;
}

const envOf = (env: Env, name: string) => env.find((e) => e.Name === name)?.Value;

describe('worker services and the rollout flag', () => {
  it('runs one baseline service with the flag off by default, tagged mode=process', () => {
    const all = services(baseline);
    expect([...all.keys()]).toEqual(['baseline']);
    const service = all.get('baseline')!;
    expect(envOf(service.env, 'USE_THREAD_WORKERS')).toBe('false');
    expect(service.tags.mode).toBe('process');
    expect(service.task.Properties.Tags).toContainEqual({ Key: 'mode', Value: 'process' });
  });

  it('turns the flag on for the baseline with useThreadWorkers=true, tagged mode=thread', () => {
    const service = services(flagOn).get('baseline')!;
    expect(envOf(service.env, 'USE_THREAD_WORKERS')).toBe('true');
    expect(service.tags.mode).toBe('thread');
  });

  it('with canary=true adds a one-task service with the flag on beside the flag-off baseline', () => {
    const all = services(canary);
    expect([...all.keys()].sort()).toEqual(['baseline', 'canary']);
    const base = all.get('baseline')!;
    const can = all.get('canary')!;
    expect(envOf(base.env, 'USE_THREAD_WORKERS')).toBe('false');
    expect(base.tags.mode).toBe('process');
    expect(envOf(can.env, 'USE_THREAD_WORKERS')).toBe('true');
    expect(can.tags.mode).toBe('thread');
    const canaryService = canary.runtimeTemplate.toJSON().Resources[can.tags.serviceId!];
    expect(canaryService.Properties.DesiredCount).toBe(1);
    // The baseline's task count belongs to its scaling policy, not to the template.
    const baseService = canary.runtimeTemplate.toJSON().Resources[base.tags.serviceId!];
    expect(baseService.Properties.DesiredCount).toBeUndefined();
  });

  it('passes the pool size, grace and heartbeat context to both services', () => {
    for (const service of services(canary).values()) {
      expect(envOf(service.env, 'WORKER_THREAD_POOL_SIZE')).toBe('6');
      expect(envOf(service.env, 'CANCEL_GRACE_SECONDS')).toBe('15');
      expect(envOf(service.env, 'WORKER_HEARTBEAT_INTERVAL_SECONDS')).toBe('5');
      expect(service.task.Properties.Cpu).toBe('2048');
      expect(service.task.Properties.Memory).toBe('4096');
    }
    const defaults = services(baseline).get('baseline')!;
    expect(envOf(defaults.env, 'WORKER_THREAD_POOL_SIZE')).toBe('4');
    expect(envOf(defaults.env, 'CANCEL_GRACE_SECONDS')).toBe('10');
    expect(envOf(defaults.env, 'WORKER_HEARTBEAT_INTERVAL_SECONDS')).toBe('10');
  });

  it('tells the worker every table, both queues and where to publish events', () => {
    const { env } = services(baseline).get('baseline')!;
    const paths = logicalIdPaths(baseline.runtime);
    for (const name of TABLE_NAMES) {
      expect(envOf(env, tableEnvVar(name))).toBe(tableNameFor('warden', name));
    }
    expect(render(envOf(env, 'WARDEN_QUEUE_URL'), paths)).toBe(
      'https://sqs.eu-west-1.${AWS::URLSuffix}/123456789012/warden-work',
    );
    expect(render(envOf(env, 'WARDEN_DLQ_URL'), paths)).toBe(
      'https://sqs.eu-west-1.${AWS::URLSuffix}/123456789012/warden-work-dlq',
    );
    expect(render(envOf(env, 'WARDEN_EVENTS_ENDPOINT'), paths)).toBe(
      'https://<LiveEvents/Api>.execute-api.eu-west-1.${AWS::URLSuffix}/live',
    );
    expect(envOf(env, 'AWS_REGION')).toBe('eu-west-1');
    // The drain deadline leaves room inside Fargate's 120 s stop timeout.
    expect(Number(envOf(env, 'WORKER_SHUTDOWN_DEADLINE_SECONDS'))).toBeLessThan(120);
  });

  it('gives each container 120 s to drain after SIGTERM, a read-only root and a scratch /tmp', () => {
    for (const service of services(canary).values()) {
      const [container] = service.task.Properties.ContainerDefinitions as Record<string, unknown>[];
      expect(container!.StopTimeout).toBe(120);
      expect(container!.ReadonlyRootFilesystem).toBe(true);
      expect(container!.MountPoints).toEqual([
        { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' },
      ]);
      expect(service.task.Properties.RequiresCompatibilities).toEqual(['FARGATE']);
    }
  });

  it('builds the image from services/worker/Dockerfile with the repository as context', () => {
    const assembly = baseline.app.synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, `${baseline.runtime.artifactId}.assets.json`), 'utf8'),
    ) as { dockerImages: Record<string, { source: { directory: string; dockerFile: string } }> };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source.dockerFile).toBe('services/worker/Dockerfile');
    const context = join(assembly.directory, images[0]!.source.directory);
    expect(existsSync(join(context, 'services/worker/Dockerfile'))).toBe(true);
    expect(existsSync(join(context, 'services/core/src/index.ts'))).toBe(true);
    // The context filter keeps dependencies and build output out.
    expect(existsSync(join(context, 'node_modules'))).toBe(false);
    expect(existsSync(join(context, 'infra/lib'))).toBe(false);
  });

  it('refuses a context the worker would refuse, naming the variables', () => {
    expect(() =>
      synthWarden({ canary: true, maxConcurrency: 8, threadPoolSize: 4, executionsPerThread: 1 }),
    ).toThrow(
      'maxConcurrency=8 is more than threadPoolSize × executionsPerThread = 4 × 1 = 4 for the canary service (thread workers): expected at most 4',
    );
  });
});

describe('scaling on backlog per task', () => {
  const policyOf = (template: Template) => {
    const policies = Object.values(
      template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'),
    );
    expect(policies).toHaveLength(1);
    return policies[0]!.Properties.TargetTrackingScalingPolicyConfiguration;
  };

  it('tracks visible messages per running task (metric math), never CPU', () => {
    const config = policyOf(baseline.runtimeTemplate);
    expect(config.TargetValue).toBe(8);
    expect(config.PredefinedMetricSpecification).toBeUndefined();
    const metrics = config.CustomizedMetricSpecification.Metrics as {
      Id: string;
      Expression?: string;
      ReturnData: boolean;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } };
    }[];
    const byId = Object.fromEntries(metrics.map((m) => [m.Id, m]));
    expect(byId.backlog!.MetricStat!.Metric).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'warden-work' }],
    });
    expect(byId.tasks!.MetricStat!.Metric).toMatchObject({
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
    });
    expect(metrics.filter((m) => m.ReturnData)).toEqual([
      expect.objectContaining({ Expression: 'backlog / (tasks)' }),
    ]);
    expect(JSON.stringify(config)).not.toMatch(/CPUUtilization/);
  });

  it('counts the canary task too when there is one', () => {
    const config = policyOf(canary.runtimeTemplate);
    const expression = (config.CustomizedMetricSpecification.Metrics as { Expression?: string }[])
      .map((m) => m.Expression)
      .find(Boolean);
    expect(expression).toBe('backlog / (tasks + FILL(other0, 0))');
  });

  it('scales the baseline between desiredCount and maxCount; the canary stays at one task', () => {
    canary.runtimeTemplate.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    canary.runtimeTemplate.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 3,
      MaxCapacity: 12,
      ScalableDimension: 'ecs:service:DesiredCount',
      Tags: Match.arrayWith([{ Key: 'warden:rollout', Value: 'baseline' }]),
    });
  });

  it('enables Container Insights, which publishes the running-task metric', () => {
    baseline.runtimeTemplate.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'warden-workers',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

describe('control plane', () => {
  it('runs every function on Node 24', () => {
    const functions = baseline.runtimeTemplate.findResources('AWS::Lambda::Function');
    const ours = Object.entries(functions).filter(
      ([id]) => !id.startsWith('CustomCDKBucketDeployment'),
    );
    expect(ours).toHaveLength(6);
    for (const [, fn] of ours) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Handler).toMatch(/^index\./);
    }
  });

  it('runs the circuit breaker every minute from an EventBridge schedule', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const rules = Object.values(baseline.runtimeTemplate.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toHaveLength(1);
    expect(render(rule.Targets[0].Arn, paths)).toBe('<CircuitBreaker/Handler/Function.Arn>');
    expect(rule.Targets[0].RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 60,
      MaximumRetryAttempts: 0,
    });
  });

  it('guards WebSocket $connect with a Lambda REQUEST authorizer reading ?token=', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const template = baseline.runtimeTemplate;
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' });
    const authorizers = Object.entries(
      template.findResources('AWS::ApiGatewayV2::Authorizer', {
        Properties: { AuthorizerType: 'REQUEST' },
      }),
    );
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0]!;
    expect(authorizer.Properties.IdentitySource).toEqual([
      `route.request.querystring.${TOKEN_QUERY_PARAMETER}`,
    ]);
    expect(render(authorizer.Properties.AuthorizerUri, paths)).toContain(
      '<LiveEvents/Authorizer/Function.Arn>',
    );
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', {
        Properties: { ApiId: { Ref: authorizer.Properties.ApiId.Ref } },
      }),
    ).map((route) => route.Properties);
    expect(routes.map((route) => route.RouteKey).sort()).toEqual([
      '$connect',
      '$default',
      '$disconnect',
    ]);
    const connect = routes.find((route) => route.RouteKey === '$connect')!;
    expect(connect.AuthorizationType).toBe('CUSTOM');
    expect(connect.AuthorizerId).toEqual({ Ref: authorizerId });
    // $default answers pings in its own response.
    template.resourceCountIs('AWS::ApiGatewayV2::RouteResponse', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('puts every admin route behind a Cognito JWT authorizer for the admin app client', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const template = baseline.runtimeTemplate;
    const jwt = Object.entries(
      template.findResources('AWS::ApiGatewayV2::Authorizer', {
        Properties: { AuthorizerType: 'JWT' },
      }),
    );
    expect(jwt).toHaveLength(1);
    const [jwtId, authorizer] = jwt[0]!;
    expect(render(authorizer.Properties.JwtConfiguration.Issuer, paths)).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/import(warden-stateful:AdminUsersUserPool)',
    );
    expect(
      authorizer.Properties.JwtConfiguration.Audience.map((a: unknown) => render(a, paths)),
    ).toEqual(['<AdminAppClient/Client>']);
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', {
        Properties: { ApiId: { Ref: authorizer.Properties.ApiId.Ref } },
      }),
    ).map((route) => route.Properties);
    expect(routes.map((route) => route.RouteKey).sort()).toEqual([
      'DELETE /api/{proxy+}',
      'GET /api/{proxy+}',
      'POST /api/{proxy+}',
      'PUT /api/{proxy+}',
    ]);
    for (const route of routes) {
      expect(route.AuthorizationType).toBe('JWT');
      expect(route.AuthorizerId).toEqual({ Ref: jwtId });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [
          { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.anyValue(), 'DomainName'] }]] },
        ],
      }),
    });
  });

  it('tells the control-plane functions they run with Cognito and which group is admin', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const handler = Object.entries(
      baseline.runtimeTemplate.findResources('AWS::Lambda::Function'),
    ).find(([id]) => paths.get(id) === 'AdminApi/Handler/Function')![1];
    const env = handler.Properties.Environment.Variables as Record<string, unknown>;
    expect(env.WARDEN_AUTH_MODE).toBe('cognito');
    expect(env.WARDEN_ADMIN_GROUP).toBe('platform-admins');
    expect(render(env.COGNITO_USER_POOL_ID, paths)).toBe(
      'import(warden-stateful:AdminUsersUserPool)',
    );
    expect(render(env.COGNITO_CLIENT_ID, paths)).toBe('<AdminAppClient/Client>');
    expect(render(env.WARDEN_CORS_ORIGIN, paths)).toBe(
      'https://<AdminSite/Distribution.DomainName>',
    );
    expect(render(env.WARDEN_ALERT_TOPIC_ARN, paths)).toBe('<Alerts/Topic>');
    expect(render(env.WARDEN_ECS_CLUSTER, paths)).toBe('<Workers/Cluster.Arn>');
    expect(render(env.WARDEN_EVENTS_ENDPOINT, paths)).toBe(
      'https://<LiveEvents/Api>.execute-api.eu-west-1.${AWS::URLSuffix}/live',
    );
  });

  it("has the admin app client (code + PKCE, no secret) on the stateful stack's user pool", () => {
    const template = baseline.runtimeTemplate;
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: {
        'Fn::ImportValue': Match.stringLikeRegexp('^warden-stateful:.*AdminUsersUserPool'),
      },
      AllowedOAuthFlows: ['code'],
      GenerateSecret: false,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', Match.anyValue(), '/auth/callback']] }],
      LogoutURLs: [{ 'Fn::Join': ['', ['https://', Match.anyValue(), '/login']] }],
    });
  });
});

describe('admin app on S3 + CloudFront', () => {
  it('serves a private bucket through Origin Access Control', () => {
    const template = baseline.runtimeTemplate;
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
      }),
    });
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  it('deploys a runtime config.json naming the API, the WebSocket and Cognito', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const deployments = Object.entries(
      baseline.runtimeTemplate.findResources('Custom::CDKBucketDeployment'),
    );
    expect(deployments).toHaveLength(2);
    const config = deployments.find(([id]) => paths.get(id)?.includes('RuntimeConfig'))![1]
      .Properties;
    const assembly = baseline.app.synth();
    const key = (config.SourceObjectKeys as string[])[0]!.replace(/\.zip$/, '');
    let text = readFileSync(join(assembly.directory, `asset.${key}`, 'config.json'), 'utf8');
    for (const [marker, value] of Object.entries(config.SourceMarkers[0] as object)) {
      text = text.replaceAll(marker, render(value, paths));
    }
    expect(JSON.parse(text)).toEqual({
      apiUrl: 'https://<AdminApi/Api>.execute-api.eu-west-1.${AWS::URLSuffix}/',
      webSocketUrl: 'wss://<LiveEvents/Api>.execute-api.eu-west-1.${AWS::URLSuffix}/live',
      auth: {
        mode: 'cognito',
        region: 'eu-west-1',
        userPoolId: 'import(warden-stateful:AdminUsersUserPool)',
        clientId: '<AdminAppClient/Client>',
        domain:
          'https://import(warden-stateful:AdminUsersUserPoolHostedUi).auth.eu-west-1.amazoncognito.com',
        redirectUri: 'https://<AdminSite/Distribution.DomainName>/auth/callback',
        logoutUri: 'https://<AdminSite/Distribution.DomainName>/login',
        scopes: ['openid', 'email', 'profile'],
        adminGroup: 'platform-admins',
      },
    });
    expect(config.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(config.Prune).toBe(false);
  });

  it('without a built admin app deploys only config.json and warns', () => {
    const noBuild = synthWarden({}, { adminDistDir: '/nonexistent/admin-ui/dist' });
    noBuild.runtimeTemplate.resourceCountIs('Custom::CDKBucketDeployment', 1);
    Annotations.fromStack(noBuild.runtime).hasWarning(
      '/warden-runtime/AdminSite',
      Match.stringLikeRegexp('only config.json is deployed'),
    );
  });
});

describe('least privilege around the workers and the admin app', () => {
  it('pins the admin app connect-src to its own two APIs and sign-in, in index.html', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const deployment = Object.entries(
      baseline.runtimeTemplate.findResources('Custom::CDKBucketDeployment'),
    ).find(([id]) => paths.get(id)?.includes('RuntimeConfig'))![1].Properties;
    const assembly = baseline.app.synth();
    const keys = deployment.SourceObjectKeys as string[];
    const markers = deployment.SourceMarkers as object[];
    const index = keys.findIndex((key) =>
      existsSync(join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.html')),
    );
    expect(index).toBeGreaterThanOrEqual(0);
    let html = readFileSync(
      join(assembly.directory, `asset.${keys[index]!.replace(/\.zip$/, '')}`, 'index.html'),
      'utf8',
    );
    for (const [marker, value] of Object.entries(markers[index]!)) {
      html = html.replaceAll(marker, render(value, paths));
    }
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toBe(
      "connect-src 'self' https://<AdminApi/Api>.execute-api.eu-west-1.${AWS::URLSuffix}/ wss://<LiveEvents/Api>.execute-api.eu-west-1.${AWS::URLSuffix}/live https://import(warden-stateful:AdminUsersUserPoolHostedUi).auth.eu-west-1.amazoncognito.com https://cognito-idp.eu-west-1.amazonaws.com",
    );
    expect(html).toContain('Warden admin (test fixture)');
    // The app's asset deployment leaves index.html to this one.
    const app = Object.entries(
      baseline.runtimeTemplate.findResources('Custom::CDKBucketDeployment'),
    ).find(([id]) => paths.get(id)?.includes('AdminSite/App'))![1].Properties;
    expect(app.Exclude).toEqual(['config.json', 'index.html']);
  });

  it('lets ECS assume the worker roles only for tasks of this account', () => {
    const roles = baseline.runtimeTemplate.findResources('AWS::IAM::Role') as Record<
      string,
      { Properties: { AssumeRolePolicyDocument: { Statement: Record<string, unknown>[] } } }
    >;
    const paths = logicalIdPaths(baseline.runtime);
    for (const path of ['Workers/TaskRole', 'Workers/ExecutionRole']) {
      const [, role] = Object.entries(roles).find(([id]) => paths.get(id) === path)!;
      const [statement] = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(statement!.Principal).toEqual({ Service: 'ecs-tasks.amazonaws.com' });
      const condition = statement!.Condition as {
        StringEquals: Record<string, unknown>;
        ArnLike: Record<string, unknown>;
      };
      expect(condition.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
      expect(render(condition.ArnLike['aws:SourceArn'], paths)).toBe(
        'arn:aws:ecs:eu-west-1:123456789012:*',
      );
    }
  });

  it('gives workflows a role of their own that only the worker task role may assume', () => {
    const paths = logicalIdPaths(baseline.runtime);
    const roles = baseline.runtimeTemplate.findResources('AWS::IAM::Role') as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    const [workflowRoleId, workflowRole] = Object.entries(roles).find(
      ([id]) => paths.get(id) === 'WorkflowRole/Role',
    )!;
    expect(workflowRole.Properties.MaxSessionDuration).toBe(3600);
    expect(
      render(
        (workflowRole.Properties.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement,
        paths,
      ),
    ).toContain('<Workers/TaskRole.Arn>');
    expect(envOf(services(baseline).get('baseline')!.env, 'WORKFLOW_ROLE_ARN')).toEqual({
      'Fn::GetAtt': [workflowRoleId, 'Arn'],
    });
  });
});

describe('outputs', () => {
  it('publishes what the README and the CLI need', () => {
    const outputs = Object.keys(canary.runtimeTemplate.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'AdminUrl',
        'ApiUrl',
        'WebSocketUrl',
        'EventsEndpoint',
        'UserPoolId',
        'UserPoolClientId',
        'CognitoDomain',
        'AlertTopicArn',
        'ClusterName',
        'BaselineServiceName',
        'CanaryServiceName',
        'DashboardName',
      ]),
    );
  });
});
