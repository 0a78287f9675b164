/**
 * CloudWatch metrics as Embedded Metric Format: one JSON line on stdout per data point, which
 * CloudWatch Logs turns into metrics (ECS awslogs driver). Names and dimensions come from
 * @warden/core so the dashboards and alarms read exactly what is written here.
 */
import {
  METRIC_DIMENSIONS,
  buildEmfRecord,
  type MetricUnit,
  WORKER_METRICS,
  type WorkerMetricName,
  type WorkerMode,
} from '@warden/core';

const UNITS: Record<WorkerMetricName, MetricUnit> = {
  [WORKER_METRICS.executionsStarted]: 'Count',
  [WORKER_METRICS.executionsSucceeded]: 'Count',
  [WORKER_METRICS.executionsFailed]: 'Count',
  [WORKER_METRICS.executionsStuck]: 'Count',
  [WORKER_METRICS.executionsCollateral]: 'Count',
  [WORKER_METRICS.queueTimeMs]: 'Milliseconds',
  [WORKER_METRICS.durationMs]: 'Milliseconds',
  [WORKER_METRICS.processRecycles]: 'Count',
  [WORKER_METRICS.processUptimeSeconds]: 'Seconds',
  [WORKER_METRICS.drainDurationSeconds]: 'Seconds',
  [WORKER_METRICS.processMemoryMb]: 'Megabytes',
  [WORKER_METRICS.memoryPerExecutionMb]: 'Megabytes',
};

export class WorkerMetrics {
  constructor(
    private readonly mode: WorkerMode,
    private readonly workerId: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /**
   * Emits one or more values. `perWorker` adds the [Mode, WorkerId] series beside [Mode];
   * `properties` are searchable in the log line but are not dimensions.
   */
  emit(
    values: Partial<Record<WorkerMetricName, number>>,
    properties: Record<string, unknown> = {},
    perWorker = false,
  ): void {
    const names = Object.keys(values) as WorkerMetricName[];
    if (!names.length) return;
    const dimensions: string[][] = [[METRIC_DIMENSIONS.mode]];
    if (perWorker) dimensions.push([METRIC_DIMENSIONS.mode, METRIC_DIMENSIONS.workerId]);
    this.write(
      JSON.stringify(
        buildEmfRecord({
          values: Object.fromEntries(
            names.map((name) => [name, { value: values[name]!, unit: UNITS[name] }]),
          ),
          dimensions,
          timestampMs: Date.now(),
          properties: {
            ...properties,
            [METRIC_DIMENSIONS.mode]: this.mode,
            [METRIC_DIMENSIONS.workerId]: this.workerId,
          },
        }),
      ),
    );
  }
}
