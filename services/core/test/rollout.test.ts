import { describe, expect, it } from 'vitest';
import {
  computeModeStats,
  computeRollout,
  percentile,
  rolloutSeries,
  rolloutVerdict,
  type FinishedExecution,
  type WorkerSample,
} from '../src/index.js';

const FROM = '2026-06-01T12:00:00.000Z';
const TO = '2026-06-01T13:00:00.000Z';
let n = 0;
const execution = (over: Partial<FinishedExecution> = {}): FinishedExecution => ({
  executionId: `e-${++n}`,
  status: 'SUCCESS',
  finishedAt: '2026-06-01T12:30:00.000Z',
  queueTimeMs: 10,
  durationMs: 100,
  workerId: 'w-1',
  ...over,
});
const heartbeat = (
  inFlight: number,
  memoryMb: number,
  over: Partial<WorkerSample> = {},
): WorkerSample => ({
  mode: 'process',
  sampleKey: `k-${++n}`,
  at: '2026-06-01T12:10:00.000Z',
  workerId: 'w-1',
  version: '1.0.0',
  kind: 'heartbeat',
  inFlight,
  memoryMb,
  memoryKind: 'pss',
  ...over,
});

describe('percentile (nearest rank)', () => {
  it('is null for no values', () => {
    expect(percentile([], 50)).toBeNull();
  });

  it('is the one value for a single value', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
  });

  it('picks the smallest value with at least p % at or below it, whatever the input order', () => {
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 90)).toBe(9);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 50)).toBe(50);
  });
});

describe('one mode', () => {
  it('an empty window has zero counts and null rates, percentiles and memory', () => {
    expect(computeModeStats([], [])).toEqual({
      executions: 0,
      succeeded: 0,
      failed: 0,
      stuck: 0,
      stuckRecorded: 0,
      successRate: null,
      failuresByErrorType: {},
      queueTimeMs: { p50: null, p95: null },
      durationMs: { p50: null, p95: null },
      memoryPerExecutionMb: null,
      memorySamples: 0,
      workers: 0,
      recycles: 0,
      avgProcessUptimeSeconds: null,
      drainSeconds: { p95: null },
    });
  });

  it('counts outcomes, stuck ones among the failed, and failures by error type', () => {
    const stuckOne = execution({ status: 'FAILED', errorType: 'ExecutionStuck' });
    const stuckTwo = execution({ status: 'FAILED', errorType: 'ExecutionStuck' });
    const stats = computeModeStats(
      [
        execution(),
        execution(),
        execution({ status: 'FAILED', errorType: 'WorkflowError', workerId: 'w-2' }),
        stuckOne,
        stuckTwo,
        execution({ status: 'CANCELLED', errorType: 'Cancelled' }),
      ],
      [],
      new Set([stuckOne.executionId]),
    );
    expect(stats).toMatchObject({
      executions: 6,
      succeeded: 2,
      failed: 3,
      stuck: 2,
      stuckRecorded: 1,
      successRate: 2 / 6,
      failuresByErrorType: { WorkflowError: 1, ExecutionStuck: 2 },
      workers: 2,
    });
  });

  it('takes p50 and p95 of queue time and duration', () => {
    const stats = computeModeStats(
      Array.from({ length: 20 }, (_, i) =>
        execution({ queueTimeMs: i + 1, durationMs: 100 * (i + 1) }),
      ),
      [],
    );
    expect(stats.queueTimeMs).toEqual({ p50: 10, p95: 19 });
    expect(stats.durationMs).toEqual({ p50: 1000, p95: 1900 });
  });

  it('averages memory / in flight over heartbeats with work in flight only', () => {
    const stats = computeModeStats(
      [],
      [
        heartbeat(2, 200),
        heartbeat(4, 200),
        heartbeat(0, 150),
        heartbeat(1, 90, { workerId: 'w-2' }),
      ],
    );
    // (100 + 50 + 90) / 3
    expect(stats.memoryPerExecutionMb).toBe(80);
    expect(stats.memorySamples).toBe(3);
    expect(stats.workers).toBe(2);
  });

  it('counts recycles and reads uptime and drain from pool-process exits', () => {
    const exit = (uptimeSeconds: number, drainSeconds?: number): WorkerSample =>
      heartbeat(0, 0, { kind: 'exit', uptimeSeconds, drainSeconds, inFlight: undefined });
    const stats = computeModeStats(
      [],
      [
        heartbeat(0, 0, { kind: 'recycle' }),
        heartbeat(0, 0, { kind: 'recycle' }),
        exit(100, 4),
        exit(300, 20),
        exit(200),
      ],
    );
    expect(stats.recycles).toBe(2);
    expect(stats.avgProcessUptimeSeconds).toBe(200);
    expect(stats.drainSeconds).toEqual({ p95: 20 });
  });
});

describe('verdict', () => {
  const stats = (over: Partial<ReturnType<typeof computeModeStats>>) => ({
    ...computeModeStats([], []),
    ...over,
  });

  it('passes when thread memory per execution is more than 50 % lower, success not lower, and every stuck one recorded', () => {
    const verdict = rolloutVerdict(
      stats({
        memoryPerExecutionMb: 100,
        memorySamples: 3,
        executions: 10,
        succeeded: 9,
        successRate: 0.9,
      }),
      stats({
        memoryPerExecutionMb: 40,
        memorySamples: 3,
        executions: 10,
        succeeded: 9,
        successRate: 0.9,
        stuck: 1,
        stuckRecorded: 1,
      }),
    );
    expect(verdict.status).toBe('pass');
    expect(verdict.checks.memoryPerExecution).toMatchObject({
      status: 'pass',
      processMb: 100,
      threadMb: 40,
      reduction: 0.6,
    });
    expect(verdict.checks.successRate).toMatchObject({ status: 'pass', process: 0.9, thread: 0.9 });
    expect(verdict.checks.stuckRecorded).toMatchObject({ status: 'pass', stuck: 1, recorded: 1 });
  });

  it('fails on exactly half the memory, a lower success rate, or a stuck execution without its record', () => {
    const verdict = rolloutVerdict(
      stats({ memoryPerExecutionMb: 100, executions: 10, succeeded: 10, successRate: 1 }),
      stats({
        memoryPerExecutionMb: 50,
        executions: 10,
        succeeded: 9,
        successRate: 0.9,
        stuck: 2,
        stuckRecorded: 1,
      }),
    );
    expect(verdict.status).toBe('fail');
    expect(verdict.checks.memoryPerExecution.status).toBe('fail');
    expect(verdict.checks.successRate.status).toBe('fail');
    expect(verdict.checks.stuckRecorded.status).toBe('fail');
  });

  it('a mode with no executions gives insufficient data, not a pass or a fail', () => {
    const report = computeRollout({
      from: FROM,
      to: TO,
      minutes: 60,
      truncated: false,
      executions: { process: [execution(), execution({ status: 'FAILED' })], thread: [] },
      samples: { process: [heartbeat(1, 120)], thread: [] },
      stuckRecorded: new Set(),
    });
    expect(report.modes.thread.executions).toBe(0);
    expect(report.modes.thread.successRate).toBeNull();
    expect(report.modes.process.successRate).toBe(0.5);
    expect(report.verdict.status).toBe('insufficient_data');
    for (const check of Object.values(report.verdict.checks)) {
      expect(check.status).toBe('insufficient_data');
      expect(check.detail.length).toBeGreaterThan(0);
    }
  });
});

describe('series', () => {
  it('cuts the window into equal buckets with their own rates, p95 and memory', () => {
    const from = Date.parse(FROM);
    const to = Date.parse(TO);
    const points = rolloutSeries(
      [
        execution({ finishedAt: '2026-06-01T12:01:00.000Z', durationMs: 50 }),
        execution({ finishedAt: '2026-06-01T12:02:00.000Z', status: 'FAILED', durationMs: 70 }),
        execution({ finishedAt: '2026-06-01T12:59:59.999Z', durationMs: 10 }),
      ],
      [heartbeat(2, 100, { at: '2026-06-01T12:03:00.000Z' })],
      from,
      to,
      4,
    );
    expect(points).toEqual([
      {
        at: FROM,
        executions: 2,
        successRate: 0.5,
        durationP95Ms: 70,
        memoryPerExecutionMb: 50,
      },
      {
        at: '2026-06-01T12:15:00.000Z',
        executions: 0,
        successRate: null,
        durationP95Ms: null,
        memoryPerExecutionMb: null,
      },
      {
        at: '2026-06-01T12:30:00.000Z',
        executions: 0,
        successRate: null,
        durationP95Ms: null,
        memoryPerExecutionMb: null,
      },
      {
        at: '2026-06-01T12:45:00.000Z',
        executions: 1,
        successRate: 1,
        durationP95Ms: 10,
        memoryPerExecutionMb: null,
      },
    ]);
  });
});
