/**
 * One Fargate service of workers in one executor mode. The baseline service scales on backlog
 * per task; the canary is a single task with the flag on. Each is tagged with its mode, and its
 * container gets the mode through USE_THREAD_WORKERS, so metrics (dimension `Mode`) and the admin
 * app tell them apart.
 */
import { Duration, Size, Tags } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { metricMode, type WorkerMode } from '@warden/core';
import type { WorkerServiceSettings } from '../settings.js';
import type { WorkerCluster } from './worker-cluster.js';

/** The worker variables a service's own settings set (unset ones keep the worker's default). */
export function workerSettingsEnv(settings: WorkerServiceSettings): Record<string, string> {
  const env: Record<string, string> = {
    WORKER_THREAD_POOL_SIZE: String(settings.threadPoolSize),
    WORKER_EXECUTIONS_PER_THREAD: String(settings.executionsPerThread),
    CANCEL_GRACE_SECONDS: String(settings.cancelGraceSeconds),
    WORKER_HEARTBEAT_INTERVAL_SECONDS: String(settings.heartbeatIntervalSeconds),
  };
  const optional = {
    WORKER_MAX_CONCURRENCY: settings.maxConcurrency,
    WORKER_MAX_EXECUTIONS_PER_PROCESS: settings.maxExecutionsPerProcess,
    WORKER_MAX_PROCESS_MEMORY_MB: settings.maxProcessMemoryMb,
    WORKER_THREAD_MAX_HEAP_MB: settings.threadMaxHeapMb,
    WORKER_POOL_SEMI_SPACE_MB: settings.poolSemiSpaceMb,
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) env[name] = String(value);
  }
  return env;
}

export interface WorkerServiceProps {
  workers: WorkerCluster;
  role: 'baseline' | 'canary';
  useThreadWorkers: boolean;
  /** Everything but USE_THREAD_WORKERS and the service's worker settings, which this construct owns. */
  environment: Record<string, string>;
  /** This service's own worker settings (the baseline and the canary each have theirs). */
  workerSettings: WorkerServiceSettings;
  cpu: number;
  memoryMiB: number;
  /** Fixed task count, or the scaling floor when `scaling` is given. */
  desiredCount: number;
}

export interface BacklogScalingProps {
  /** Work queue name (AWS/SQS dimension). */
  queueName: string;
  maxCount: number;
  targetBacklogPerTask: number;
  /** Other services that consume the same queue (their tasks count in the denominator). */
  otherServices: ecs.FargateService[];
}

/** Fargate gives a container at most 120 s between SIGTERM and SIGKILL; the worker uses them. */
export const WORKER_STOP_TIMEOUT = Duration.seconds(120);

export class WorkerService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly mode: WorkerMode;
  private readonly props: WorkerServiceProps;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    this.props = props;
    this.mode = metricMode(props.useThreadWorkers);
    const { workers } = props;

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      taskRole: workers.taskRole,
      executionRole: workers.executionRole,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    // The root filesystem is read-only; forked executions and Node may still need a scratch dir.
    this.taskDefinition.addVolume({ name: 'tmp' });

    this.container = this.taskDefinition.addContainer('worker', {
      image: workers.image,
      essential: true,
      readonlyRootFilesystem: true,
      stopTimeout: WORKER_STOP_TIMEOUT,
      environment: {
        ...props.environment,
        ...workerSettingsEnv(props.workerSettings),
        USE_THREAD_WORKERS: String(props.useThreadWorkers),
      },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: workers.logGroup,
        streamPrefix: `${props.role}-${this.mode}`,
        // A slow log pipe must never stall heartbeats or the SIGTERM drain.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    this.container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: workers.cluster,
      taskDefinition: this.taskDefinition,
      // The baseline's count belongs to its scaling policy once deployed (a template value
      // would reset it on every deploy); the canary is pinned.
      desiredCount: props.role === 'canary' ? props.desiredCount : undefined,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: workers.subnets,
      securityGroups: [workers.securityGroup],
      assignPublicIp: workers.assignPublicIp,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });

    Tags.of(this).add('mode', this.mode);
    Tags.of(this).add('warden:rollout', props.role);

    acknowledge(this.taskDefinition, {
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment carries only non-secret settings (table names, queue URLs, the rollout flag and timings); the worker holds no secrets — it authenticates with its task role.',
    });
  }

  /** Target tracking on visible messages per running task (metric math), not on CPU. */
  scaleOnBacklog(props: BacklogScalingProps): appscaling.CfnScalingPolicy {
    const cluster = this.props.workers.cluster;
    const target = new appscaling.ScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      resourceId: `service/${cluster.clusterName}/${this.service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: this.props.desiredCount,
      maxCapacity: props.maxCount,
    });
    target.node.addDependency(this.service);

    const runningTasks = (service: ecs.FargateService, id: string) => ({
      id,
      returnData: false,
      metricStat: {
        metric: {
          namespace: 'ECS/ContainerInsights',
          metricName: 'RunningTaskCount',
          dimensions: [
            { name: 'ClusterName', value: cluster.clusterName },
            { name: 'ServiceName', value: service.serviceName },
          ],
        },
        stat: 'Average',
      },
    });
    const others = props.otherServices.map((service, index) =>
      runningTasks(service, `other${index}`),
    );
    const denominator = ['tasks', ...others.map((other) => `FILL(${other.id}, 0)`)].join(' + ');

    return new appscaling.CfnScalingPolicy(this, 'BacklogPerTask', {
      policyName: `${this.node.path.replace(/\//g, '-')}-backlog-per-task`.slice(-256),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.targetBacklogPerTask,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'backlog',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: props.queueName }],
                },
                stat: 'Average',
              },
            },
            runningTasks(this.service, 'tasks'),
            ...others,
            {
              id: 'backlogPerTask',
              label: 'Visible messages per running worker task',
              expression: `backlog / (${denominator})`,
              returnData: true,
            },
          ],
        },
      },
    });
  }
}
