import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, WORKER_METRICS } from '@warden/core';
import { WorkerMetrics } from '../src/metrics.js';

describe('Embedded Metric Format lines', () => {
  it('declares each value with its unit under the Warden namespace and the Mode dimension', () => {
    const lines: string[] = [];
    const metrics = new WorkerMetrics('thread', 'w-1', (line) => lines.push(line));
    metrics.emit(
      { [WORKER_METRICS.executionsSucceeded]: 1, [WORKER_METRICS.durationMs]: 42 },
      { workflowId: 'echo' },
    );
    const line = JSON.parse(lines[0]!);
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['Mode']],
        Metrics: [
          { Name: 'ExecutionsSucceeded', Unit: 'Count' },
          { Name: 'DurationMs', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(typeof line._aws.Timestamp).toBe('number');
    expect(line).toMatchObject({
      Mode: 'thread',
      WorkerId: 'w-1',
      workflowId: 'echo',
      ExecutionsSucceeded: 1,
      DurationMs: 42,
    });
  });

  it('adds the per-worker series beside the per-mode one when asked', () => {
    const lines: string[] = [];
    new WorkerMetrics('process', 'w-2', (line) => lines.push(line)).emit(
      { [WORKER_METRICS.processMemoryMb]: 80 },
      {},
      true,
    );
    expect(JSON.parse(lines[0]!)._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Mode'],
      ['Mode', 'WorkerId'],
    ]);
  });
});
