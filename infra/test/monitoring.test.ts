/**
 * Alarms and dashboard: the seed's alerts with their thresholds, each notifying the alerts topic,
 * and a dashboard that shows every checklist item split by executor mode. Metric names come from
 * core, the same constants the worker and the circuit breaker emit.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CIRCUIT_BREAKER_METRICS,
  METRICS_NAMESPACE,
  WORKER_METRICS,
  WORKER_MODES,
} from '@warden/core';
import { logicalIdPaths, render, synthWarden, type SynthesizedWarden } from './support/synth.js';
import { workerMetricUses } from './support/worker-metric-uses.js';

type Alarm = {
  AlarmName: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  Period?: number;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: {
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: {
      Metric: { MetricName: string; Namespace: string; Dimensions?: unknown[] };
      Period: number;
      Stat: string;
    };
  }[];
};

let synth: SynthesizedWarden;
let alarms: Map<string, Alarm>;
let paths: Map<string, string>;

beforeAll(() => {
  synth = synthWarden({
    canary: true,
    alarmEmail: 'oncall@example.com',
    oldestMessageAlarmSeconds: 600,
    canarySuccessRateMarginPercent: 3,
  });
  paths = logicalIdPaths(synth.runtime);
  alarms = new Map(
    Object.values(synth.runtimeTemplate.findResources('AWS::CloudWatch::Alarm')).map((r) => [
      (r.Properties as Alarm).AlarmName,
      r.Properties as Alarm,
    ]),
  );
}, 120_000);

const alarm = (name: string): Alarm => {
  const found = alarms.get(`warden-${name}`);
  expect(found, `alarm warden-${name}`).toBeDefined();
  return found!;
};

describe('alarms', () => {
  it('every alarm notifies the alerts topic', () => {
    expect(alarms.size).toBe(9);
    for (const found of alarms.values()) {
      expect(found.AlarmActions.map((action) => render(action, paths))).toEqual(['<Alerts/Topic>']);
    }
  });

  it.each(WORKER_MODES)(
    'stuck executions above one percent of those started in 15 minutes (%s mode)',
    (mode) => {
      const found = alarm(`stuck-rate-${mode}`);
      expect(found.Threshold).toBe(1);
      expect(found.ComparisonOperator).toBe('GreaterThanThreshold');
      const math = found.Metrics!.find((m) => m.ReturnData !== false)!;
      expect(math.Expression).toBe(
        `IF(started_${mode} > 0, 100 * FILL(part_${mode}, 0) / started_${mode}, 0)`,
      );
      const inputs = Object.fromEntries(
        found.Metrics!.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!]),
      );
      for (const [id, metricName] of [
        [`part_${mode}`, WORKER_METRICS.executionsStuck],
        [`started_${mode}`, WORKER_METRICS.executionsStarted],
      ] as const) {
        expect(inputs[id]).toEqual({
          Metric: {
            MetricName: metricName,
            Namespace: METRICS_NAMESPACE,
            Dimensions: [{ Name: 'Mode', Value: mode }],
          },
          Period: 900,
          Stat: 'Sum',
        });
      }
    },
  );

  it("canary success rate below the baseline's by more than the canarySuccessRateMarginPercent context", () => {
    const found = alarm('canary-success-rate');
    expect(found.Threshold).toBe(3);
    expect(found.ComparisonOperator).toBe('GreaterThanThreshold');
    const math = found.Metrics!.find((m) => m.ReturnData !== false)!;
    const done = (mode: string) => `(FILL(ok_${mode}, 0) + FILL(bad_${mode}, 0))`;
    expect(math.Expression).toBe(
      `IF(${done('process')} > 0 AND ${done('thread')} > 0, 100 * FILL(ok_process, 0) / ${done('process')} - 100 * FILL(ok_thread, 0) / ${done('thread')}, 0)`,
    );
    const inputs = Object.fromEntries(
      found.Metrics!.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!]),
    );
    for (const mode of WORKER_MODES) {
      for (const [id, metricName] of [
        [`ok_${mode}`, WORKER_METRICS.executionsSucceeded],
        [`bad_${mode}`, WORKER_METRICS.executionsFailed],
      ] as const) {
        expect(inputs[id]).toEqual({
          Metric: {
            MetricName: metricName,
            Namespace: METRICS_NAMESPACE,
            Dimensions: [{ Name: 'Mode', Value: mode }],
          },
          Period: 900,
          Stat: 'Sum',
        });
      }
    }
  });

  it.each([
    ['worker-silent', CIRCUIT_BREAKER_METRICS.silentWorkers, 'Maximum'],
    ['circuit-breaker-trip', CIRCUIT_BREAKER_METRICS.circuitBreakerTrips, 'Sum'],
    ['process-draining-too-long', CIRCUIT_BREAKER_METRICS.processesDrainingTooLong, 'Maximum'],
  ])('%s fires on the first minute the sweep reports one (%s)', (name, metric, statistic) => {
    const found = alarm(name);
    expect(found).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: metric,
      Statistic: statistic,
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(found.Dimensions).toBeUndefined();
  });

  it('dead-letter queue not empty', () => {
    expect(alarm('dlq-not-empty')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'warden-work-dlq' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('oldest message older than the oldestMessageAlarmSeconds context', () => {
    expect(alarm('oldest-message-age')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: 'warden-work' }],
      Statistic: 'Maximum',
      Threshold: 600,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('the circuit breaker failing (its own alarms would go blind)', () => {
    const found = alarm('circuit-breaker-errors');
    expect(found).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 1,
    });
    expect(render(found.Dimensions![0]!.Value, paths)).toBe('<CircuitBreaker/Handler/Function>');
  });
});

describe('alerts topic', () => {
  it('is encrypted and mails the alarmEmail context', () => {
    synth.runtimeTemplate.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    synth.runtimeTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('has no subscription without alarmEmail', () => {
    const quiet = synthWarden();
    quiet.runtimeTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  }, 120_000);
});

describe('dashboard', () => {
  let body: string;
  beforeAll(() => {
    const dashboards = Object.values(
      synth.runtimeTemplate.findResources('AWS::CloudWatch::Dashboard'),
    );
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('warden-operations');
    body = render(dashboards[0]!.Properties.DashboardBody, paths);
  });

  it('charts every worker metric for both modes, pool-process ones for thread mode', () => {
    const poolOnly: string[] = [
      WORKER_METRICS.executionsCollateral,
      WORKER_METRICS.processRecycles,
      WORKER_METRICS.processUptimeSeconds,
      WORKER_METRICS.drainDurationSeconds,
    ];
    for (const metric of Object.values(WORKER_METRICS)) {
      for (const mode of WORKER_MODES) {
        const line = `"${METRICS_NAMESPACE}","${metric}","Mode","${mode}"`;
        if (mode === 'process' && poolOnly.includes(metric)) expect(body).not.toContain(line);
        else expect(body).toContain(line);
      }
    }
  });

  it('charts memory per execution and CPU per mode', () => {
    for (const mode of WORKER_MODES) {
      expect(body).toContain(
        `"${METRICS_NAMESPACE}","${WORKER_METRICS.memoryPerExecutionMb}","Mode","${mode}"`,
      );
    }
    expect(body).toContain('Memory per execution (MB, by mode)');
    expect(body).toContain('"ECS/ContainerInsights","CpuUtilized"');
    expect(body).toContain('CPU: baseline (process)');
    expect(body).toContain('CPU: canary (thread)');
  });

  it('reads only metrics core names, so the worker-emission test covers each of them', () => {
    const uses = workerMetricUses(synth.runtimeTemplate);
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) {
      expect(Object.values(WORKER_METRICS) as string[]).toContain(use.metric);
    }
  });

  it('charts memory per worker, the circuit breaker, the queue, the dead-letter queue and tasks', () => {
    expect(body).toContain(
      `SEARCH('{${METRICS_NAMESPACE},Mode,WorkerId} MetricName=\\"${WORKER_METRICS.processMemoryMb}\\"'`,
    );
    for (const metric of Object.values(CIRCUIT_BREAKER_METRICS)) expect(body).toContain(metric);
    expect(body).toContain(
      '"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","warden-work"',
    );
    expect(body).toContain('"ApproximateNumberOfMessagesNotVisible"');
    expect(body).toContain('"ApproximateAgeOfOldestMessage"');
    expect(body).toContain('"QueueName","warden-work-dlq"');
    expect(body).toContain('"ECS/ContainerInsights","RunningTaskCount"');
    expect(body).toContain('"ECS/ContainerInsights","MemoryUtilized"');
    expect(body).toContain('baseline (process)');
    expect(body).toContain('canary (thread)');
  });
});
