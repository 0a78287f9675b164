/**
 * CloudWatch Embedded Metric Format: a JSON log line CloudWatch turns into metrics, so a Lambda
 * publishes metrics by writing to stdout, with no API call and no extra latency.
 */
import { buildEmfRecord, type MetricValue } from '@warden/core';

export type { MetricUnit, MetricValue } from '@warden/core';

/** One EMF record; the metrics carry no dimensions (fleet-wide gauges and counts). */
export function emfRecord(
  metrics: Record<string, MetricValue>,
  timestampMs: number,
  properties: Record<string, unknown> = {},
): Record<string, unknown> {
  return buildEmfRecord({ values: metrics, dimensions: [[]], timestampMs, properties });
}

/** Where EMF lines go: stdout in Lambda (CloudWatch Logs picks them up). */
export type MetricsSink = (line: string) => void;
export const stdoutSink: MetricsSink = (line) => {
  process.stdout.write(`${line}\n`);
};
