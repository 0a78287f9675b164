/**
 * The rollout's eyes: a CloudWatch dashboard that sets the process and thread executors side by
 * side (the seed's monitoring checklist) and the alarms the seed asks for, all notifying the
 * alerts topic. Metric names come from `@warden/core` (metrics.ts), the same constants the worker
 * and the circuit breaker emit with.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CIRCUIT_BREAKER_METRICS,
  METRICS_NAMESPACE,
  METRIC_DIMENSIONS,
  WORKER_METRICS,
  WORKER_MODES,
  type WorkerMode,
} from '@warden/core';

export interface MonitoringProps {
  prefix: string;
  topic: sns.ITopic;
  workQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  circuitBreaker: lambda.IFunction;
  cluster: ecs.ICluster;
  /** Worker services by label (e.g. "baseline (process)"). */
  services: { label: string; service: ecs.FargateService }[];
  oldestMessageAlarmSeconds: number;
  /** Percentage points the canary's success rate may trail the baseline's before alarming. */
  canarySuccessRateMarginPercent: number;
}

/** Thresholds, exported so tests and the runbook quote the same numbers. */
export const ALARM_THRESHOLDS = {
  stuckRatePercent: 1,
  stuckRatePeriod: Duration.minutes(15),
  canarySuccessRatePeriod: Duration.minutes(15),
  silentWorkers: 1,
  circuitBreakerTrips: 1,
  processesDrainingTooLong: 1,
  deadLetterMessages: 1,
  circuitBreakerErrors: 1,
} as const;

const MINUTE = Duration.minutes(1);

export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    const alarm = (key: string, options: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, key, {
        alarmName: `${props.prefix}-${key}`,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      created.addAlarmAction(action);
      this.alarms[key] = created;
      return created;
    };

    const worker = (name: string, mode: WorkerMode, statistic = 'Sum', period = MINUTE) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { [METRIC_DIMENSIONS.mode]: mode },
        statistic,
        period,
        label: `${name} (${mode})`,
      });
    const breaker = (name: string, statistic = 'Maximum', period = MINUTE) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic, period });
    /** `100 * part / ExecutionsStarted` for one mode (ids carry the mode: graphs mix modes). */
    const percentOfStarted = (part: string, mode: WorkerMode, period: Duration, label: string) =>
      new cloudwatch.MathExpression({
        expression: `IF(started_${mode} > 0, 100 * FILL(part_${mode}, 0) / started_${mode}, 0)`,
        usingMetrics: {
          [`part_${mode}`]: worker(part, mode, 'Sum', period),
          [`started_${mode}`]: worker(WORKER_METRICS.executionsStarted, mode, 'Sum', period),
        },
        period,
        label,
      });

    // --- Alarms -----------------------------------------------------------------------------
    for (const mode of WORKER_MODES) {
      const period = ALARM_THRESHOLDS.stuckRatePeriod;
      alarm(`stuck-rate-${mode}`, {
        metric: percentOfStarted(
          WORKER_METRICS.executionsStuck,
          mode,
          period,
          `Stuck executions, % of started (${mode})`,
        ),
        alarmDescription: `More than ${ALARM_THRESHOLDS.stuckRatePercent}% of the executions started by ${mode}-mode workers in 15 minutes ended STUCK. See docs/operations.md#stuck-rate.`,
        threshold: ALARM_THRESHOLDS.stuckRatePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    // The canary against the baseline: success rate of finished executions, process minus
    // thread, in percentage points; 0 unless both modes finished something in the period.
    const canaryPeriod = ALARM_THRESHOLDS.canarySuccessRatePeriod;
    const done = (mode: WorkerMode) => `(FILL(ok_${mode}, 0) + FILL(bad_${mode}, 0))`;
    const rate = (mode: WorkerMode) => `100 * FILL(ok_${mode}, 0) / ${done(mode)}`;
    const canaryGap = new cloudwatch.MathExpression({
      expression: `IF(${done('process')} > 0 AND ${done('thread')} > 0, ${rate('process')} - ${rate('thread')}, 0)`,
      usingMetrics: Object.fromEntries(
        WORKER_MODES.flatMap((mode) => [
          [`ok_${mode}`, worker(WORKER_METRICS.executionsSucceeded, mode, 'Sum', canaryPeriod)],
          [`bad_${mode}`, worker(WORKER_METRICS.executionsFailed, mode, 'Sum', canaryPeriod)],
        ]),
      ),
      period: canaryPeriod,
      label: 'Success rate, process minus thread (percentage points)',
    });
    alarm('canary-success-rate', {
      metric: canaryGap,
      alarmDescription: `The canary's (thread mode) success rate is more than ${props.canarySuccessRateMarginPercent} percentage points below the baseline's (process mode) over 15 minutes. See docs/operations.md#canary-success-rate.`,
      threshold: props.canarySuccessRateMarginPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('worker-silent', {
      metric: breaker(CIRCUIT_BREAKER_METRICS.silentWorkers),
      alarmDescription:
        'A registered worker has sent no heartbeat for over 5 minutes (reported by the circuit-breaker sweep). See docs/operations.md#worker-silent.',
      threshold: ALARM_THRESHOLDS.silentWorkers,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('circuit-breaker-trip', {
      metric: breaker(CIRCUIT_BREAKER_METRICS.circuitBreakerTrips, 'Sum'),
      alarmDescription:
        'The circuit breaker blacklisted a workflow (stuck too often inside its window). See docs/operations.md#circuit-breaker-trip.',
      threshold: ALARM_THRESHOLDS.circuitBreakerTrips,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('process-draining-too-long', {
      metric: breaker(CIRCUIT_BREAKER_METRICS.processesDrainingTooLong),
      alarmDescription:
        'A worker process has been DRAINING for over 1 hour (a healthy execution still running, or a drain that never ends). See docs/operations.md#process-draining-too-long.',
      threshold: ALARM_THRESHOLDS.processesDrainingTooLong,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('dlq-not-empty', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      alarmDescription:
        'Messages reached the dead-letter queue (invalid, or received too often without finishing). See docs/operations.md#dlq-not-empty.',
      threshold: ALARM_THRESHOLDS.deadLetterMessages,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('oldest-message-age', {
      metric: props.workQueue.metricApproximateAgeOfOldestMessage({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      alarmDescription: `The oldest message in the work queue is older than ${props.oldestMessageAlarmSeconds} s: workers are not keeping up, or not consuming. See docs/operations.md#oldest-message-age.`,
      threshold: props.oldestMessageAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('circuit-breaker-errors', {
      metric: props.circuitBreaker.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
      alarmDescription:
        'The circuit-breaker sweep is failing: blacklisting, and the silent-worker and draining alarms that depend on it, are blind. See docs/operations.md#circuit-breaker-errors.',
      threshold: ALARM_THRESHOLDS.circuitBreakerErrors,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    // --- Dashboard --------------------------------------------------------------------------
    const perMode = (name: string, statistic: string, label?: string) =>
      WORKER_MODES.map((mode) =>
        worker(name, mode, statistic).with({ label: `${label ?? name} (${mode})` }),
      );
    const threadOnly = (name: string, statistic: string, label: string) =>
      worker(name, 'thread', statistic).with({ label: `${label} (thread)` });
    const containerInsights = (metricName: string, statistic: string) =>
      props.services.map(
        ({ label, service }) =>
          new cloudwatch.Metric({
            namespace: 'ECS/ContainerInsights',
            metricName,
            dimensionsMap: {
              ClusterName: props.cluster.clusterName,
              ServiceName: service.serviceName,
            },
            statistic,
            period: MINUTE,
            label,
          }),
      );
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.prefix}-operations`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## Warden — process (baseline) vs thread (canary)\nEvery worker metric is split by `Mode`. Compare success rate, stuck rate, memory and latency of the two modes before widening a rollout (docs/operations.md).',
        width: 24,
        height: 2,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.alarms),
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      graph('Executions by outcome', [
        ...perMode(WORKER_METRICS.executionsSucceeded, 'Sum', 'Succeeded'),
        ...perMode(WORKER_METRICS.executionsFailed, 'Sum', 'Failed'),
        ...perMode(WORKER_METRICS.executionsStuck, 'Sum', 'Stuck'),
        // Neighbours of a blocked thread sent back to the queue: only threads share.
        threadOnly(WORKER_METRICS.executionsCollateral, 'Sum', 'Collateral'),
      ]),
      graph(
        'Success rate % (by mode)',
        WORKER_MODES.map((mode) =>
          percentOfStarted(
            WORKER_METRICS.executionsSucceeded,
            mode,
            Duration.minutes(5),
            `success % (${mode})`,
          ),
        ),
        { leftYAxis: { min: 0, max: 100 } },
      ),
      graph(
        'Stuck: count and % of started',
        [...perMode(WORKER_METRICS.executionsStuck, 'Sum', 'Stuck')],
        {
          right: [
            ...WORKER_MODES.map((mode) =>
              percentOfStarted(
                WORKER_METRICS.executionsStuck,
                mode,
                Duration.minutes(15),
                `stuck % (${mode})`,
              ),
            ),
            breaker(CIRCUIT_BREAKER_METRICS.stuckRatePercent).with({
              label: 'stuck % in breaker window (all)',
            }),
          ],
          rightAnnotations: [
            { value: ALARM_THRESHOLDS.stuckRatePercent, label: 'alarm', color: '#d62728' },
          ],
        },
      ),
    );
    this.dashboard.addWidgets(
      graph('Queue time (ms)', [
        ...perMode(WORKER_METRICS.queueTimeMs, 'p50', 'p50'),
        ...perMode(WORKER_METRICS.queueTimeMs, 'p90', 'p90'),
      ]),
      graph('Execution duration (ms)', [
        ...perMode(WORKER_METRICS.durationMs, 'p50', 'p50'),
        ...perMode(WORKER_METRICS.durationMs, 'p90', 'p90'),
      ]),
      graph(
        'Memory per mode (MB)',
        [
          ...perMode(WORKER_METRICS.processMemoryMb, 'Average', 'avg'),
          ...perMode(WORKER_METRICS.processMemoryMb, 'Maximum', 'max'),
        ],
        {
          right: containerInsights('MemoryUtilized', 'Average').map((metric) =>
            metric.with({ label: `container MiB: ${metric.label ?? ''}` }),
          ),
        },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Memory per execution (MB, by mode)',
        perMode(WORKER_METRICS.memoryPerExecutionMb, 'Average', 'avg per execution'),
      ),
      graph(
        'CPU per mode (container CPU units)',
        containerInsights('CpuUtilized', 'Average').map((metric) =>
          metric.with({ label: `CPU: ${metric.label ?? ''}` }),
        ),
      ),
      graph(
        'Canary success rate vs baseline',
        [canaryGap.with({ label: 'process minus thread (percentage points)' })],
        {
          leftAnnotations: [
            { value: props.canarySuccessRateMarginPercent, label: 'alarm', color: '#d62728' },
          ],
        },
      ),
    );
    this.dashboard.addWidgets(
      graph('Memory per worker (MB)', [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},${METRIC_DIMENSIONS.mode},${METRIC_DIMENSIONS.workerId}} MetricName="${WORKER_METRICS.processMemoryMb}"', 'Maximum', 60)`,
          label: '',
          period: MINUTE,
        }),
      ]),
      // Pool processes exist in thread mode only: a process-mode child lives for one execution
      // (its uptime is the execution's duration) and is never recycled.
      graph('Pool process recycles (thread)', [
        threadOnly(WORKER_METRICS.processRecycles, 'Sum', 'recycles'),
      ]),
      graph('Pool process uptime at exit (s, thread)', [
        threadOnly(WORKER_METRICS.processUptimeSeconds, 'Average', 'avg uptime'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Drain duration (s, thread)', [
        threadOnly(WORKER_METRICS.drainDurationSeconds, 'Average', 'avg'),
        threadOnly(WORKER_METRICS.drainDurationSeconds, 'Maximum', 'max'),
      ]),
      graph('Circuit breaker', [
        breaker(CIRCUIT_BREAKER_METRICS.workflowsBlacklisted).with({
          label: 'blacklisted workflows',
        }),
        breaker(CIRCUIT_BREAKER_METRICS.circuitBreakerTrips, 'Sum').with({ label: 'trips' }),
      ]),
      graph('Fleet health (from the sweep)', [
        breaker(CIRCUIT_BREAKER_METRICS.silentWorkers).with({ label: 'silent workers (> 5 min)' }),
        breaker(CIRCUIT_BREAKER_METRICS.processesDrainingTooLong).with({
          label: 'processes DRAINING > 1 h',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Queue depth', [
        props.workQueue.metricApproximateNumberOfMessagesVisible({
          period: MINUTE,
          label: 'visible',
        }),
        props.workQueue.metricApproximateNumberOfMessagesNotVisible({
          period: MINUTE,
          label: 'in flight',
        }),
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: MINUTE,
          label: 'dead-letter',
        }),
      ]),
      graph(
        'Oldest message age (s)',
        [
          props.workQueue.metricApproximateAgeOfOldestMessage({
            period: MINUTE,
            statistic: 'Maximum',
          }),
        ],
        {
          leftAnnotations: [
            { value: props.oldestMessageAlarmSeconds, label: 'alarm', color: '#d62728' },
          ],
        },
      ),
      graph('Running worker tasks', containerInsights('RunningTaskCount', 'Average')),
    );
  }
}
