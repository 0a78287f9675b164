/**
 * Every worker metric an alarm or a dashboard widget reads is one the real worker emits, in the
 * mode the alarm or widget reads it for. The list is derived from the synthesized monitoring
 * (alarms and dashboard), so a worker that stopped emitting, say, ExecutionsStuck — which would
 * blind the stuck-rate alarm — fails here, and so does a new alarm on a metric nothing emits.
 *
 * Each mode's worker runs a workload that gives every metric a reason to exist: a success, a
 * workflow failure, an execution stuck in `while (true) {}` (thread mode then recycles its pool
 * process, which drains and exits) and a sleep held across heartbeats (memory per execution).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, METRIC_DIMENSIONS, WORKER_MODES } from '@warden/core';
import { synthWarden } from '../../infra/test/support/synth.js';
import {
  workerMetricUses,
  type WorkerMetricUse,
} from '../../infra/test/support/worker-metric-uses.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { killAllWorkers, startWorker, submit, waitForTerminal } from '../support/worker-process.js';

let stack: TestStack;
let uses: WorkerMetricUse[];

beforeAll(async () => {
  uses = workerMetricUses(synthWarden({ canary: true }).runtimeTemplate);
  stack = await startTestStack();
}, 120_000);

afterAll(async () => {
  await killAllWorkers();
  await stack?.stop();
});

/** (metric, mode) pairs in the worker's EMF lines, checked to be well-formed for CloudWatch. */
function emitted(output: string): Set<string> {
  const found = new Set<string>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{"_aws":')) continue;
    const emf = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string }[];
        }[];
      };
    };
    for (const directive of emf._aws.CloudWatchMetrics) {
      if (directive.Namespace !== METRICS_NAMESPACE) continue;
      if (!directive.Dimensions.some((d) => d.length === 1 && d[0] === METRIC_DIMENSIONS.mode)) {
        continue;
      }
      for (const { Name } of directive.Metrics) {
        if (typeof emf[Name] === 'number')
          found.add(`${Name}/${String(emf[METRIC_DIMENSIONS.mode])}`);
      }
    }
  }
  return found;
}

describe('metrics the alarms and the dashboard read', () => {
  it('are derived from the monitoring: both modes, the stuck-rate and canary alarms included', () => {
    const names = (mode: string) => uses.filter((u) => u.mode === mode).map((u) => u.metric);
    for (const mode of WORKER_MODES) {
      expect(names(mode)).toEqual(
        expect.arrayContaining([
          'ExecutionsStuck',
          'ExecutionsStarted',
          'ExecutionsSucceeded',
          'ExecutionsFailed',
          'MemoryPerExecutionMb',
        ]),
      );
    }
  });

  it.each(WORKER_MODES)('are all emitted by the real worker in %s mode', async (mode) => {
    const worker = startWorker(stack, {
      mode,
      env: { WORKER_MAX_CONCURRENCY: '4', WORKER_THREAD_POOL_SIZE: '4' },
    });
    await worker.online();
    const ids = [
      await submit(stack, 'echo', { input: 1 }),
      await submit(stack, 'fail'),
      await submit(stack, 'cpu-spin', { timeoutSeconds: 1 }),
      await submit(stack, 'sleep', { input: { ms: 3000 } }),
    ];
    for (const id of ids) await waitForTerminal(stack, id, 60_000);
    const wanted = uses.filter((u) => u.mode === mode).map((u) => `${u.metric}/${u.mode}`);
    // On a timeout the assertion below names what is missing.
    await waitFor(
      `every metric read for ${mode} mode in the worker's output`,
      () => wanted.every((w) => emitted(worker.output()).has(w)),
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch(() => undefined);
    const missing = wanted.filter((w) => !emitted(worker.output()).has(w));
    expect(missing).toEqual([]);
    await worker.stop();
  });
});
