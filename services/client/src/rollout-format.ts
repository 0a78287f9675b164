/** `warden rollout`: the two modes side by side, then the verdict with its figures. */
import type { RolloutModeStats, RolloutReport } from '@warden/core/rollout';
import { duration, table } from './format.js';

const rate = (value: number | null): string =>
  value === null ? '-' : `${(value * 100).toFixed(1)} %`;
const ms = (value: number | null): string => (value === null ? '-' : duration(value));
const mb = (value: number | null): string => (value === null ? '-' : `${value} MB`);
const seconds = (value: number | null): string => (value === null ? '-' : duration(value * 1000));
const failures = (stats: RolloutModeStats): string =>
  Object.entries(stats.failuresByErrorType)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([type, count]) => `${type} ${count}`)
    .join(', ') || '-';

const ROWS: [string, (s: RolloutModeStats) => string | number][] = [
  ['executions', (s) => s.executions],
  ['succeeded', (s) => s.succeeded],
  ['failed (stuck included)', (s) => s.failed],
  ['stuck', (s) => s.stuck],
  ['success rate', (s) => rate(s.successRate)],
  ['failures by error type', failures],
  ['queue time p50 / p95', (s) => `${ms(s.queueTimeMs.p50)} / ${ms(s.queueTimeMs.p95)}`],
  ['duration p50 / p95', (s) => `${ms(s.durationMs.p50)} / ${ms(s.durationMs.p95)}`],
  ['memory per execution', (s) => `${mb(s.memoryPerExecutionMb)} (${s.memorySamples} heartbeats)`],
  ['workers', (s) => s.workers],
  ['recycles', (s) => s.recycles],
  ['avg process uptime', (s) => seconds(s.avgProcessUptimeSeconds)],
  ['drain p95', (s) => seconds(s.drainSeconds.p95)],
];

const STATUS = { pass: 'PASS', fail: 'FAIL', insufficient_data: 'NOT ENOUGH DATA' } as const;

export function renderRollout(report: RolloutReport): string {
  const { window, modes, verdict } = report;
  const checks = verdict.checks;
  return [
    `Last ${window.minutes} min: ${window.from} to ${window.to}${window.truncated ? ' (more executions than the read cap: figures cover those read)' : ''}`,
    table(
      ['', 'PROCESS (baseline)', 'THREAD (canary)'],
      ROWS.map(([label, value]) => [label, value(modes.process), value(modes.thread)]),
    ),
    `Verdict: ${STATUS[verdict.status]}`,
    table(
      ['CRITERION', 'RESULT', 'FIGURES'],
      [
        [
          'memory per execution down > 50 %',
          STATUS[checks.memoryPerExecution.status],
          checks.memoryPerExecution.detail,
        ],
        ['success rate not lower', STATUS[checks.successRate.status], checks.successRate.detail],
        [
          'stuck executions recorded',
          STATUS[checks.stuckRecorded.status],
          checks.stuckRecorded.detail,
        ],
      ],
    ),
  ].join('\n');
}
