/**
 * CloudWatch metric names, shared by whoever emits them (the worker and the circuit breaker, as
 * Embedded Metric Format log lines) and whoever reads them (the CDK dashboard and alarms), so a
 * renamed metric cannot silently leave an alarm watching nothing.
 */
import type { WorkerMode } from './domain.js';

export const METRICS_NAMESPACE = 'Warden';

export const METRIC_DIMENSIONS = {
  /** `thread` or `process` (a {@link WorkerMode}): tells the canary from the baseline. */
  mode: 'Mode',
  /** Per-worker series (memory per worker); emit it beside `[Mode]`, never instead of it. */
  workerId: 'WorkerId',
} as const;

/** Emitted by the worker, with the `Mode` dimension. */
export const WORKER_METRICS = {
  executionsStarted: 'ExecutionsStarted',
  executionsSucceeded: 'ExecutionsSucceeded',
  executionsFailed: 'ExecutionsFailed',
  executionsStuck: 'ExecutionsStuck',
  /** Executions sent back for a retry because another blocked or overflowed their thread. */
  executionsCollateral: 'ExecutionsCollateral',
  /** Milliseconds from queuedAt (or the message's sent time) to the start of the run. */
  queueTimeMs: 'QueueTimeMs',
  durationMs: 'DurationMs',
  processRecycles: 'ProcessRecycles',
  /** Age of a pool process when it exits. */
  processUptimeSeconds: 'ProcessUptimeSeconds',
  /** From DRAINING (or PENDING_KILL) to exit. */
  drainDurationSeconds: 'DrainDurationSeconds',
  /** Resident memory of the worker container's processes, sampled on each heartbeat. */
  processMemoryMb: 'ProcessMemoryMb',
  /**
   * That memory divided by the executions in flight, on heartbeats with work in flight: the
   * rollout's memory criterion, as the rollout comparison computes it from the samples.
   */
  memoryPerExecutionMb: 'MemoryPerExecutionMb',
} as const;

/** Emitted by the circuit-breaker sweep, without dimensions, once per run. */
export const CIRCUIT_BREAKER_METRICS = {
  /** Workflows on the blacklist after the sweep (a gauge). */
  workflowsBlacklisted: 'WorkflowsBlacklisted',
  /** Workflows this sweep blacklisted (a count; usually 0). */
  circuitBreakerTrips: 'CircuitBreakerTrips',
  /** Registered workers without a heartbeat for longer than the silent threshold (a gauge). */
  silentWorkers: 'SilentWorkers',
  /** Processes DRAINING or PENDING_KILL for longer than the draining threshold (a gauge). */
  processesDrainingTooLong: 'ProcessesDrainingTooLong',
  /** Stuck executions per 100 executions queued inside the breaker's window (a gauge). */
  stuckRatePercent: 'StuckRatePercent',
} as const;

export type WorkerMetricName = (typeof WORKER_METRICS)[keyof typeof WORKER_METRICS];
export type CircuitBreakerMetricName =
  (typeof CIRCUIT_BREAKER_METRICS)[keyof typeof CIRCUIT_BREAKER_METRICS];

/** The `Mode` dimension value for a worker started with USE_THREAD_WORKERS=flag. */
export const metricMode = (useThreadWorkers: boolean): WorkerMode =>
  useThreadWorkers ? 'thread' : 'process';

/** Units the Warden metrics use. */
export type MetricUnit = 'Count' | 'Percent' | 'Milliseconds' | 'Seconds' | 'Megabytes' | 'None';

export interface MetricValue {
  value: number;
  unit: MetricUnit;
}

/**
 * One CloudWatch Embedded Metric Format record (a JSON log line CloudWatch Logs turns into
 * metrics): the one place that writes the format, for the worker and the Lambdas alike.
 * `dimensions` lists dimension sets whose values are in `properties`; `[[]]` is no dimension.
 */
export function buildEmfRecord(input: {
  values: Record<string, MetricValue>;
  dimensions: string[][];
  timestampMs: number;
  properties?: Record<string, unknown>;
}): Record<string, unknown> {
  const entries = Object.entries(input.values);
  return {
    _aws: {
      Timestamp: input.timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: input.dimensions,
          Metrics: entries.map(([Name, { unit }]) => ({ Name, Unit: unit })),
        },
      ],
    },
    ...input.properties,
    ...Object.fromEntries(entries.map(([name, { value }]) => [name, value])),
  };
}
