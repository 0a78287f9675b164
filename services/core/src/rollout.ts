/**
 * The canary-vs-baseline comparison: pure statistics over the executions that finished in a
 * window and the workers' samples (heartbeats, recycles, exits), per executor mode, and the
 * verdict against the rollout's success criteria. No I/O: the API reads, this computes.
 */
import type { ErrorType, WorkerMode, WorkerSample } from './domain.js';
import type { FinishedExecution } from './repositories/executions.js';

/** Longest window the comparison reads (and the API accepts), in minutes: one day. */
export const ROLLOUT_MAX_MINUTES = 24 * 60;
export const ROLLOUT_DEFAULT_MINUTES = 60;
/** Most executions read per mode; a busier window is marked truncated. */
export const ROLLOUT_MAX_EXECUTIONS_PER_MODE = 250_000;
/** Points per chart series over the window. */
export const ROLLOUT_BUCKETS = 12;
/** The canary's memory per execution must be below this share of the baseline's. */
export const ROLLOUT_MEMORY_RATIO_LIMIT = 0.5;

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface RolloutModeStats {
  /** Terminal executions that finished in the window. */
  executions: number;
  succeeded: number;
  /** Every FAILED execution, stuck ones included. */
  failed: number;
  stuck: number;
  /** Stuck executions that have their StuckRecords row (what the circuit breaker counts). */
  stuckRecorded: number;
  /** succeeded / executions (0–1); null without executions. */
  successRate: number | null;
  failuresByErrorType: Partial<Record<ErrorType | 'Unknown', number>>;
  queueTimeMs: Percentiles;
  durationMs: Percentiles;
  /** Mean over heartbeats with work in flight of worker memory / executions in flight. */
  memoryPerExecutionMb: number | null;
  /** Heartbeats that fed memoryPerExecutionMb. */
  memorySamples: number;
  /** Distinct workers that sent a heartbeat or finished an execution in the window. */
  workers: number;
  recycles: number;
  /** Mean age of pool processes that exited in the window (thread mode; null without exits). */
  avgProcessUptimeSeconds: number | null;
  drainSeconds: { p95: number | null };
}

export interface RolloutPoint {
  /** Start of the bucket (ISO). */
  at: string;
  executions: number;
  successRate: number | null;
  durationP95Ms: number | null;
  memoryPerExecutionMb: number | null;
}

export type CheckStatus = 'pass' | 'fail' | 'insufficient_data';

export interface RolloutCheck {
  status: CheckStatus;
  /** One sentence with the figures, for people. */
  detail: string;
}

export interface RolloutVerdict {
  /** pass when every check passes, fail when any fails, else insufficient_data. */
  status: CheckStatus;
  checks: {
    /** Thread-mode memory per execution more than 50 % below process mode. */
    memoryPerExecution: RolloutCheck & {
      processMb: number | null;
      threadMb: number | null;
      /** 1 - thread / process; 0.6 means 60 % less. */
      reduction: number | null;
    };
    /** Thread-mode success rate not lower than process mode. */
    successRate: RolloutCheck & { process: number | null; thread: number | null };
    /** Every thread-mode stuck execution has its stuck record. */
    stuckRecorded: RolloutCheck & { stuck: number; recorded: number };
  };
}

export interface RolloutReport {
  window: {
    from: string;
    to: string;
    minutes: number;
    /** True when a mode had more executions than the read cap; figures cover those read. */
    truncated: boolean;
  };
  modes: Record<WorkerMode, RolloutModeStats>;
  series: Record<WorkerMode, RolloutPoint[]>;
  verdict: RolloutVerdict;
}

/**
 * Nearest-rank percentile: the smallest value with at least p % of the values at or below it.
 * Always a value that occurred; null for no values.
 */
export function percentile(values: readonly number[], p: number, sorted = false): number | null {
  if (!values.length) return null;
  const ordered = sorted ? values : [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * ordered.length));
  return ordered[rank - 1]!;
}

const percentiles = (values: number[]): Percentiles => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50, true), p95: percentile(sorted, 95, true) };
};

const mean = (values: readonly number[]): number | null =>
  values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : null;

const round = (value: number | null, digits: number): number | null =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;

const memoryPerExecution = (samples: readonly WorkerSample[]): number[] =>
  samples
    .filter((s) => s.kind === 'heartbeat' && (s.inFlight ?? 0) > 0 && s.memoryMb !== undefined)
    .map((s) => s.memoryMb! / s.inFlight!);

/** One mode's figures. `stuckRecorded` holds the ids of executions that have a stuck record. */
export function computeModeStats(
  executions: readonly FinishedExecution[],
  samples: readonly WorkerSample[],
  stuckRecorded: ReadonlySet<string> = new Set(),
): RolloutModeStats {
  let succeeded = 0;
  let failed = 0;
  let stuck = 0;
  let recorded = 0;
  const failuresByErrorType: RolloutModeStats['failuresByErrorType'] = {};
  const queueTimes: number[] = [];
  const durations: number[] = [];
  const workers = new Set<string>();
  for (const execution of executions) {
    if (execution.workerId) workers.add(execution.workerId);
    if (execution.status === 'SUCCESS') succeeded++;
    if (execution.status === 'FAILED') {
      failed++;
      const type = execution.errorType ?? 'Unknown';
      failuresByErrorType[type] = (failuresByErrorType[type] ?? 0) + 1;
      if (execution.errorType === 'ExecutionStuck') {
        stuck++;
        if (stuckRecorded.has(execution.executionId)) recorded++;
      }
    }
    if (typeof execution.queueTimeMs === 'number') queueTimes.push(execution.queueTimeMs);
    if (typeof execution.durationMs === 'number') durations.push(execution.durationMs);
  }
  const perExecution = memoryPerExecution(samples);
  const exits = samples.filter((s) => s.kind === 'exit');
  for (const sample of samples) workers.add(sample.workerId);
  return {
    executions: executions.length,
    succeeded,
    failed,
    stuck,
    stuckRecorded: recorded,
    successRate: executions.length ? succeeded / executions.length : null,
    failuresByErrorType,
    queueTimeMs: percentiles(queueTimes),
    durationMs: percentiles(durations),
    memoryPerExecutionMb: round(mean(perExecution), 2),
    memorySamples: perExecution.length,
    workers: workers.size,
    recycles: samples.filter((s) => s.kind === 'recycle').length,
    avgProcessUptimeSeconds: round(
      mean(exits.flatMap((s) => (s.uptimeSeconds === undefined ? [] : [s.uptimeSeconds]))),
      1,
    ),
    drainSeconds: {
      p95: percentile(
        exits.flatMap((s) => (s.drainSeconds === undefined ? [] : [s.drainSeconds])),
        95,
      ),
    },
  };
}

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;

/** Thread mode (canary) against process mode (baseline) on the rollout's success criteria. */
export function rolloutVerdict(
  process: RolloutModeStats,
  thread: RolloutModeStats,
): RolloutVerdict {
  const processMb = process.memoryPerExecutionMb;
  const threadMb = thread.memoryPerExecutionMb;
  const reduction =
    processMb !== null && threadMb !== null && processMb > 0 ? 1 - threadMb / processMb : null;
  const memory: RolloutVerdict['checks']['memoryPerExecution'] =
    reduction === null
      ? {
          status: 'insufficient_data',
          detail: `needs heartbeats with executions in flight in both modes (process: ${process.memorySamples}, thread: ${thread.memorySamples})`,
          processMb,
          threadMb,
          reduction: null,
        }
      : {
          status: reduction > 1 - ROLLOUT_MEMORY_RATIO_LIMIT ? 'pass' : 'fail',
          detail: `thread ${threadMb} MB vs process ${processMb} MB per execution: ${percent(reduction)} less (needs more than ${percent(1 - ROLLOUT_MEMORY_RATIO_LIMIT)})`,
          processMb,
          threadMb,
          reduction: round(reduction, 4),
        };

  const success: RolloutVerdict['checks']['successRate'] =
    process.successRate === null || thread.successRate === null
      ? {
          status: 'insufficient_data',
          detail: `needs finished executions in both modes (process: ${process.executions}, thread: ${thread.executions})`,
          process: process.successRate,
          thread: thread.successRate,
        }
      : {
          status: thread.successRate >= process.successRate ? 'pass' : 'fail',
          detail: `thread ${percent(thread.successRate)} (${thread.succeeded}/${thread.executions}) vs process ${percent(process.successRate)} (${process.succeeded}/${process.executions}); thread must not be lower`,
          process: process.successRate,
          thread: thread.successRate,
        };

  const stuck: RolloutVerdict['checks']['stuckRecorded'] =
    thread.stuck === 0
      ? {
          status: 'insufficient_data',
          detail: 'no thread-mode execution got stuck in the window, so detection is unproven',
          stuck: 0,
          recorded: 0,
        }
      : {
          status: thread.stuckRecorded === thread.stuck ? 'pass' : 'fail',
          detail: `${thread.stuckRecorded} of ${thread.stuck} stuck thread-mode executions have a stuck record`,
          stuck: thread.stuck,
          recorded: thread.stuckRecorded,
        };

  const statuses = [memory.status, success.status, stuck.status];
  return {
    status: statuses.includes('fail')
      ? 'fail'
      : statuses.every((s) => s === 'pass')
        ? 'pass'
        : 'insufficient_data',
    checks: { memoryPerExecution: memory, successRate: success, stuckRecorded: stuck },
  };
}

/** Chart points: the window cut into `buckets` equal slices. */
export function rolloutSeries(
  executions: readonly FinishedExecution[],
  samples: readonly WorkerSample[],
  fromMs: number,
  toMs: number,
  buckets = ROLLOUT_BUCKETS,
): RolloutPoint[] {
  const width = (toMs - fromMs) / buckets;
  const index = (at: string): number =>
    Math.min(buckets - 1, Math.max(0, Math.floor((Date.parse(at) - fromMs) / width)));
  const byBucket = Array.from({ length: buckets }, () => ({
    executions: [] as FinishedExecution[],
    samples: [] as WorkerSample[],
  }));
  for (const execution of executions)
    byBucket[index(execution.finishedAt)]!.executions.push(execution);
  for (const sample of samples) byBucket[index(sample.at)]!.samples.push(sample);
  return byBucket.map((bucket, i) => {
    const succeeded = bucket.executions.filter((e) => e.status === 'SUCCESS').length;
    const durations = bucket.executions.flatMap((e) =>
      typeof e.durationMs === 'number' ? [e.durationMs] : [],
    );
    return {
      at: new Date(fromMs + Math.round(i * width)).toISOString(),
      executions: bucket.executions.length,
      successRate: bucket.executions.length ? succeeded / bucket.executions.length : null,
      durationP95Ms: percentile(durations, 95),
      memoryPerExecutionMb: round(mean(memoryPerExecution(bucket.samples)), 2),
    };
  });
}

export interface RolloutInput {
  from: string;
  to: string;
  minutes: number;
  truncated: boolean;
  executions: Record<WorkerMode, readonly FinishedExecution[]>;
  samples: Record<WorkerMode, readonly WorkerSample[]>;
  /** Execution ids with a StuckRecords row. */
  stuckRecorded: ReadonlySet<string>;
}

/** The whole report from what was read. */
export function computeRollout(input: RolloutInput): RolloutReport {
  const fromMs = Date.parse(input.from);
  const toMs = Date.parse(input.to);
  const stats = (mode: WorkerMode) =>
    computeModeStats(input.executions[mode], input.samples[mode], input.stuckRecorded);
  const series = (mode: WorkerMode) =>
    rolloutSeries(input.executions[mode], input.samples[mode], fromMs, toMs);
  const modes = { process: stats('process'), thread: stats('thread') };
  return {
    window: { from: input.from, to: input.to, minutes: input.minutes, truncated: input.truncated },
    modes,
    series: { process: series('process'), thread: series('thread') },
    verdict: rolloutVerdict(modes.process, modes.thread),
  };
}
