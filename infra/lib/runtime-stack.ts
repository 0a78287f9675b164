/**
 * Everything that runs: the worker services on ECS Fargate, the control-plane Lambdas (circuit
 * breaker, admin API, WebSocket handlers) behind their APIs, Cognito for admins, the admin app on
 * CloudFront, the alerts topic, and the dashboard and alarms. Deleting and redeploying this stack
 * loses no data: the data lives in the stateful stack.
 */
import { Annotations, CfnOutput, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  TABLE_NAMES,
  type TableName,
  loadControlPlaneConfig,
  loadWorkerConfig,
  metricMode,
  tableEnvVar,
} from '@warden/core';
import { ACCESS, type Component, type TableAction } from './access.js';
import { AdminApi } from './constructs/admin-api.js';
import { AdminAppClient, OAUTH_SCOPES, type AdminUsers } from './constructs/admin-auth.js';
import { AdminSite } from './constructs/admin-site.js';
import { CircuitBreaker } from './constructs/circuit-breaker.js';
import { WardenDataRefs, type WardenData } from './constructs/data-refs.js';
import { LiveEvents } from './constructs/live-events.js';
import { Monitoring } from './constructs/monitoring.js';
import { Notifications } from './constructs/notifications.js';
import type { WardenFunction } from './constructs/warden-function.js';
import { WorkerCluster } from './constructs/worker-cluster.js';
import { WorkerService, workerSettingsEnv } from './constructs/worker-service.js';
import { WorkflowRole } from './constructs/workflow-role.js';
import { acknowledge, acknowledgeIamFindings } from './nag.js';
import { ADMIN_UI_DIST, HANDLERS, type HandlerEntry, type HandlerName } from './paths.js';
import type { DeploySettings, WorkerServiceSettings } from './settings.js';

export interface RuntimeStackProps extends StackProps {
  settings: DeploySettings;
  /** The admins' user pool (stateful stack). */
  adminUsers: AdminUsers;
  /** Override handler sources (tests); defaults to the real files in services/functions. */
  handlers?: Partial<Record<HandlerName, HandlerEntry>>;
  /** Directory of the built admin app (default admin-ui/dist). */
  adminDistDir?: string;
}

/** Seconds the worker gives its drain after SIGTERM: inside Fargate's 120 s stop timeout. */
export const WORKER_SHUTDOWN_DEADLINE_SECONDS = 100;

export class RuntimeStack extends Stack {
  readonly workers: WorkerCluster;
  /**
   * The role workflows run with (never the worker's task role). Holds nothing until the platform
   * team grants it what workflows need.
   */
  readonly workflowRole: iam.Role;
  readonly baseline: WorkerService;
  readonly canary?: WorkerService;
  readonly liveEvents: LiveEvents;
  readonly adminApi: AdminApi;
  readonly circuitBreaker: CircuitBreaker;
  readonly appClient: AdminAppClient;
  readonly site: AdminSite;
  readonly notifications: Notifications;
  readonly monitoring: Monitoring;
  readonly data: WardenData;
  readonly functionsByComponent: Record<Exclude<Component, 'worker'>, WardenFunction>;

  constructor(scope: Construct, id: string, props: RuntimeStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const stateful = new WardenDataRefs(this, 'Data', { prefix: settings.prefix });
    this.data = stateful;
    const handlers = { ...HANDLERS, ...props.handlers };
    const logRetention = settings.logRetentionDays as logs.RetentionDays;

    this.notifications = new Notifications(this, 'Alerts', {
      prefix: settings.prefix,
      alarmEmail: settings.alarmEmail,
    });
    this.workers = new WorkerCluster(this, 'Workers', {
      prefix: settings.prefix,
      natGateways: settings.natGateways,
      logRetention,
      image: { workflowsDir: settings.workflowsDir, nodeImage: settings.workerBaseImage },
    });
    this.workflowRole = new WorkflowRole(this, 'WorkflowRole', {
      assumedBy: this.workers.taskRole,
    }).role;
    this.site = new AdminSite(this, 'AdminSite', { distDir: props.adminDistDir ?? ADMIN_UI_DIST });
    const adminUrl = this.site.url;
    // The admin app's routes: the hosted UI returns to /auth/callback and signs out to /login.
    const extraOrigins = settings.extraCallbackUrls.map((url) => new URL(url).origin);
    const { userPool } = props.adminUsers;
    this.appClient = new AdminAppClient(this, 'AdminAppClient', {
      prefix: settings.prefix,
      userPool,
      callbackUrls: [`${adminUrl}/auth/callback`, ...settings.extraCallbackUrls],
      logoutUrls: [`${adminUrl}/login`, ...extraOrigins.map((origin) => `${origin}/login`)],
    });

    // What every process reads through core's config loaders.
    const sharedEnv: Record<string, string> = {
      LOG_LEVEL: settings.logLevel,
      WARDEN_TABLE_PREFIX: settings.prefix,
      WARDEN_QUEUE_URL: stateful.workQueue.queueUrl,
      WARDEN_DLQ_URL: stateful.deadLetterQueue.queueUrl,
      ...Object.fromEntries(
        TABLE_NAMES.map((name) => [tableEnvVar(name), stateful.tables[name].tableName]),
      ),
    };
    const controlPlaneEnv: Record<string, string> = {
      ...sharedEnv,
      WARDEN_AUTH_MODE: 'cognito',
      COGNITO_USER_POOL_ID: userPool.userPoolId,
      COGNITO_CLIENT_ID: this.appClient.client.userPoolClientId,
      WARDEN_ADMIN_GROUP: settings.adminGroup,
      WARDEN_VIEWER_GROUP: settings.viewerGroup,
      WARDEN_CORS_ORIGIN: adminUrl,
      WARDEN_ALERT_TOPIC_ARN: this.notifications.topic.topicArn,
      WARDEN_ECS_CLUSTER: this.workers.cluster.clusterArn,
    };

    this.liveEvents = new LiveEvents(this, 'LiveEvents', {
      handlers: {
        authorizer: handlers.wsAuthorizer,
        connect: handlers.wsConnect,
        disconnect: handlers.wsDisconnect,
        default: handlers.wsDefault,
      },
      environment: controlPlaneEnv,
      logRetention,
    });
    const eventsEndpoint = this.liveEvents.callbackUrl;

    this.adminApi = new AdminApi(this, 'AdminApi', {
      handler: handlers.adminApi,
      environment: controlPlaneEnv,
      logRetention,
      userPool,
      client: this.appClient.client,
      allowedOrigins: [adminUrl, ...extraOrigins],
    });
    this.circuitBreaker = new CircuitBreaker(this, 'CircuitBreaker', {
      handler: handlers.circuitBreaker,
      environment: controlPlaneEnv,
      logRetention,
    });

    const functions: Record<
      Exclude<Component, 'worker'>,
      WardenFunction
    > = (this.functionsByComponent = {
      circuitBreaker: this.circuitBreaker.handler,
      adminApi: this.adminApi.handler,
      wsAuthorizer: this.liveEvents.authorizer,
      wsConnect: this.liveEvents.connect,
      wsDisconnect: this.liveEvents.disconnect,
      wsDefault: this.liveEvents.default,
    });
    for (const fn of Object.values(functions)) {
      // Late-bound: the stage URL exists only once the API (and so these functions) do.
      fn.fn.addEnvironment('WARDEN_EVENTS_ENDPOINT', eventsEndpoint);
    }
    validateWithCore(
      'control plane',
      { ...controlPlaneEnv, WARDEN_EVENTS_ENDPOINT: eventsEndpoint },
      loadControlPlaneConfig,
    );

    // --- Workers ------------------------------------------------------------------------------
    const workerEnv = (
      useThreadWorkers: boolean,
      service: WorkerServiceSettings,
    ): Record<string, string> => {
      const env: Record<string, string> = {
        ...sharedEnv,
        AWS_REGION: this.region,
        WARDEN_EVENTS_ENDPOINT: eventsEndpoint,
        WORKER_SHUTDOWN_DEADLINE_SECONDS: String(WORKER_SHUTDOWN_DEADLINE_SECONDS),
        // Workflows get this role's short-lived credentials, not the task role's.
        WORKFLOW_ROLE_ARN: this.workflowRole.roleArn,
      };
      validateWithCore(
        `${metricMode(useThreadWorkers)} workers`,
        { ...env, ...workerSettingsEnv(service), USE_THREAD_WORKERS: String(useThreadWorkers) },
        loadWorkerConfig,
      );
      return env;
    };
    const serviceProps = {
      workers: this.workers,
      cpu: settings.workerCpu,
      memoryMiB: settings.workerMemoryMiB,
    };
    this.baseline = new WorkerService(this, 'Baseline', {
      ...serviceProps,
      role: 'baseline',
      useThreadWorkers: settings.useThreadWorkers,
      environment: workerEnv(settings.useThreadWorkers, settings.baselineWorker),
      workerSettings: settings.baselineWorker,
      desiredCount: settings.desiredCount,
    });
    if (settings.canary) {
      if (settings.useThreadWorkers) {
        Annotations.of(this).addWarningV2(
          'warden:canary-redundant',
          'canary=true with useThreadWorkers=true: the baseline already runs thread workers, so the canary compares nothing. Drop the canary (full rollout) or set useThreadWorkers=false.',
        );
      }
      this.canary = new WorkerService(this, 'Canary', {
        ...serviceProps,
        role: 'canary',
        useThreadWorkers: true,
        environment: workerEnv(true, settings.canaryWorker),
        workerSettings: settings.canaryWorker,
        desiredCount: 1,
      });
    }
    this.baseline.scaleOnBacklog({
      queueName: stateful.workQueue.queueName,
      maxCount: settings.maxCount,
      targetBacklogPerTask: settings.targetBacklogPerTask,
      otherServices: this.canary ? [this.canary.service] : [],
    });

    // --- Least privilege ------------------------------------------------------------------------
    this.grant('worker', this.workers.taskRole);
    for (const [component, fn] of Object.entries(functions)) {
      this.grant(component as Component, fn.role);
    }
    // --- Monitoring -----------------------------------------------------------------------------
    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix: settings.prefix,
      topic: this.notifications.topic,
      workQueue: stateful.workQueue,
      deadLetterQueue: stateful.deadLetterQueue,
      circuitBreaker: this.circuitBreaker.handler.fn,
      cluster: this.workers.cluster,
      services: [
        { label: `baseline (${this.baseline.mode})`, service: this.baseline.service },
        ...(this.canary
          ? [{ label: `canary (${this.canary.mode})`, service: this.canary.service }]
          : []),
      ],
      oldestMessageAlarmSeconds: settings.oldestMessageAlarmSeconds,
      canarySuccessRateMarginPercent: settings.canarySuccessRateMarginPercent,
    });

    // --- Admin app ------------------------------------------------------------------------------
    this.site.deploy({
      apiUrl: this.adminApi.url,
      webSocketUrl: this.liveEvents.url,
      auth: {
        mode: 'cognito',
        region: this.region,
        userPoolId: userPool.userPoolId,
        clientId: this.appClient.client.userPoolClientId,
        domain: props.adminUsers.hostedUiUrl,
        redirectUri: `${adminUrl}/auth/callback`,
        logoutUri: `${adminUrl}/login`,
        scopes: OAUTH_SCOPES,
        adminGroup: settings.adminGroup,
      },
    });

    this.suppressFrameworkFindings();

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('AdminUrl', adminUrl, 'The admin app');
    output('ApiUrl', this.adminApi.url, 'Admin HTTP API base URL (routes under /api)');
    output('WebSocketUrl', this.liveEvents.url, 'Live events (append ?token=<Cognito JWT>)');
    output('EventsEndpoint', eventsEndpoint, 'WebSocket management (callback) URL');
    output('UserPoolId', userPool.userPoolId, 'Cognito user pool of the admins');
    output('UserPoolClientId', this.appClient.client.userPoolClientId, 'Admin app client');
    output('CognitoDomain', props.adminUsers.hostedUiUrl, 'Hosted UI');
    output('AdminGroup', settings.adminGroup, 'Cognito group whose members are admins');
    output('ViewerGroup', settings.viewerGroup, 'Cognito group whose members may only read');
    output('AlertTopicArn', this.notifications.topic.topicArn, 'Alarms and admin notifications');
    output('ClusterName', this.workers.cluster.clusterName, 'ECS cluster of the workers');
    output(
      'BaselineServiceName',
      this.baseline.service.serviceName,
      `Baseline workers (${this.baseline.mode})`,
    );
    if (this.canary) {
      output('CanaryServiceName', this.canary.service.serviceName, 'Canary workers (thread)');
    }
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
  }

  /** Grants one component exactly what {@link ACCESS} lists for it, and nothing else. */
  private grant(component: Component, grantee: iam.IGrantable): void {
    const access = ACCESS[component];
    const { tables, workQueue, deadLetterQueue } = this.data;
    for (const [name, actions] of Object.entries(access.tables) as [TableName, TableAction[]][]) {
      // Table.grant covers the table and, when it has any, its indexes.
      tables[name].grant(grantee, ...actions.map((action) => `dynamodb:${action}`));
    }
    for (const use of access.queues) {
      if (use === 'consumeWork') {
        workQueue.grant(
          grantee,
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
        );
      }
      if (use === 'sendWork') workQueue.grant(grantee, 'sqs:SendMessage');
      if (use === 'sendDeadLetter') deadLetterQueue.grant(grantee, 'sqs:SendMessage');
      if (use === 'peekDeadLetter') deadLetterQueue.grant(grantee, 'sqs:ReceiveMessage');
      if (use === 'redriveDeadLetter') {
        deadLetterQueue.grant(
          grantee,
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:StartMessageMoveTask',
        );
      }
      if (use === 'readDepths') {
        for (const queue of [workQueue, deadLetterQueue]) {
          queue.grant(grantee, 'sqs:GetQueueAttributes');
        }
      }
    }
    if (access.publishesEvents) this.liveEvents.grantPostToConnections(grantee);
    if (access.notifies) this.notifications.topic.grantPublish(grantee);
    if (access.protectsTask) {
      // Scale-in protection while executions run, on this cluster's tasks only.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:UpdateTaskProtection'],
          resources: [this.workers.taskArnPattern],
        }),
      );
    }
    if (access.stopsTasks) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:StopTask'],
          resources: [this.workers.taskArnPattern],
          conditions: { ArnEquals: { 'ecs:cluster': this.workers.cluster.clusterArn } },
        }),
      );
    }
  }

  /**
   * Wildcards that least privilege cannot remove (ids known only at run time, actions without
   * resource-level permissions), and findings on helpers CDK itself creates.
   */
  private suppressFrameworkFindings(): void {
    const roles = [
      this.workers.taskRole,
      ...Object.values(this.functionsByComponent).map((fn) => fn.role),
    ];
    for (const role of roles) {
      acknowledgeIamFindings(role, [
        {
          finding: /^Resource::arn:.*:dynamodb:.*:table\/[^/]+\/index\/\*$/,
          reason:
            "Queries run on the table's global indexes (named in core's TABLES); the grant covers this one table's indexes.",
        },
        {
          finding: /^Resource::.*execute-api:.*\/(POST|DELETE)\/@connections\/\*$/,
          reason:
            'WebSocket connection ids exist only at run time; the grant is POST (events) and DELETE (expired tokens) to @connections of this one API stage.',
        },
        {
          finding: /^Resource::.*:ecs:.*:task\/.*\/\*$/,
          reason:
            "Task ids exist only at run time; the grant covers this cluster's tasks and nothing else.",
        },
        {
          finding: /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/,
          reason:
            'Publishing to the encrypted alerts topic needs data keys from its key; the grant names that one key.',
        },
      ]);
    }
    acknowledgeIamFindings(this.workers.executionRole, [
      {
        finding: /^Resource::\*$/,
        reason:
          'ecr:GetAuthorizationToken has no resource-level permissions; image pulls themselves are scoped to the asset repository.',
      },
    ]);
    for (const child of this.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      // CDK's own helper that copies the admin app into its bucket at deploy time.
      acknowledgeIamFindings(child, [
        {
          finding: /.*/,
          reason:
            "CDK's bucket-deployment helper: it reads the staged assets and writes the site bucket during deployments only; CDK owns its policy.",
        },
      ]);
      acknowledge(child, {
        id: 'AwsSolutions-L1',
        reason:
          "CDK's bucket-deployment helper picks its own Python runtime with the AWS CLI layer; it runs only during deployments.",
      });
    }
  }
}

/** Values only known at deploy time stand in as plausible placeholders for validation. */
function placeholder(key: string): string {
  if (key === 'AWS_REGION') return 'us-east-1';
  if (key === 'COGNITO_USER_POOL_ID') return 'us-east-1_Placeholder';
  if (key === 'WORKFLOW_ROLE_ARN') return 'arn:aws:iam::000000000000:role/placeholder';
  if (key.endsWith('_ARN')) return 'arn:aws:sns:us-east-1:000000000000:placeholder';
  if (/_URL$|_ENDPOINT$|_ORIGIN$/.test(key)) return 'https://resolved-at-deploy.invalid/';
  return 'resolved-at-deploy';
}

/**
 * Runs core's own config loader over the environment a process will get, so a context value the
 * process would reject stops the synth instead of crash-looping tasks after a deploy.
 */
function validateWithCore(
  what: string,
  env: Record<string, string>,
  load: (env: Record<string, string>) => unknown,
): void {
  const probe = Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      Token.isUnresolved(value) ? placeholder(key) : value,
    ]),
  );
  try {
    load(probe);
  } catch (error) {
    throw new Error(
      `The ${what} would refuse to start with these CDK context values (fix the context keys that set the variables named below):\n${(error as Error).message}`,
      { cause: error },
    );
  }
}
