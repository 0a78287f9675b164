/**
 * CloudWatch Embedded Metric Format: a JSON log line CloudWatch turns into metrics, so a Lambda
 * publishes metrics by writing to stdout, with no API call and no extra latency.
 */
import { METRICS_NAMESPACE } from '@warden/core';

export type MetricUnit = 'Count' | 'Percent' | 'Milliseconds' | 'None';

export interface MetricValue {
  value: number;
  unit: MetricUnit;
}

/** One EMF record; the metrics carry no dimensions (fleet-wide gauges and counts). */
export function emfRecord(
  metrics: Record<string, MetricValue>,
  timestampMs: number,
  properties: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[]],
          Metrics: Object.entries(metrics).map(([Name, { unit }]) => ({ Name, Unit: unit })),
        },
      ],
    },
    ...properties,
    ...Object.fromEntries(Object.entries(metrics).map(([name, { value }]) => [name, value])),
  };
}

/** Where EMF lines go: stdout in Lambda (CloudWatch Logs picks them up). */
export type MetricsSink = (line: string) => void;
export const stdoutSink: MetricsSink = (line) => {
  process.stdout.write(`${line}\n`);
};
