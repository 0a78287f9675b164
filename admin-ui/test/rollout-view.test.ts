import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RolloutModeStats, RolloutResponse } from '@warden/core';
import { FakeApi } from './support/fake-api';
import { iso, queueResponse, workersResponse } from './support/fixtures';
import { live, mountApp, page, see, type MountedApp } from './support/mount-app';

let api: FakeApi;
let app: MountedApp | undefined;

beforeEach(async () => {
  api = await new FakeApi().start();
  api.on('GET /api/platform/workers', { body: workersResponse() });
  api.on('GET /api/platform/queue', { body: queueResponse() });
});

afterEach(async () => {
  await app?.unmount();
  app = undefined;
  await api.stop();
});

const stats = (over: Partial<RolloutModeStats>): RolloutModeStats => ({
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
  ...over,
});

const empty = {
  at: iso(0),
  executions: 0,
  successRate: null,
  durationP95Ms: null,
  memoryPerExecutionMb: null,
};

function report(minutes: number, threadExecutions = 10): RolloutResponse {
  return {
    window: { from: iso(minutes * 60_000), to: iso(0), minutes, truncated: false },
    modes: {
      process: stats({
        executions: 8,
        succeeded: 6,
        failed: 2,
        successRate: 0.75,
        failuresByErrorType: { WorkflowError: 2 },
        memoryPerExecutionMb: 100,
        memorySamples: 4,
        workers: 2,
      }),
      thread: stats({
        executions: threadExecutions,
        succeeded: threadExecutions - 1,
        failed: 1,
        stuck: 1,
        stuckRecorded: 1,
        successRate: (threadExecutions - 1) / threadExecutions,
        failuresByErrorType: { ExecutionStuck: 1 },
        memoryPerExecutionMb: 40,
        memorySamples: 5,
        workers: 1,
        recycles: 1,
      }),
    },
    series: { process: [empty], thread: [empty] },
    verdict: {
      status: 'pass',
      checks: {
        memoryPerExecution: {
          status: 'pass',
          detail:
            'thread 40 MB vs process 100 MB per execution: 60.0 % less (needs more than 50.0 %)',
          processMb: 100,
          threadMb: 40,
          reduction: 0.6,
        },
        successRate: {
          status: 'pass',
          detail: 'thread 90.0 % vs process 75.0 %',
          process: 0.75,
          thread: 0.9,
        },
        stuckRecorded: {
          status: 'pass',
          detail: '1 of 1 stuck thread-mode executions have a stuck record',
          stuck: 1,
          recorded: 1,
        },
      },
    },
  };
}

const cellText = (row: string, mode: string) =>
  [...document.querySelectorAll('[data-testid="rollout-table"] tr')]
    .find((tr) => tr.querySelector('th')?.textContent?.trim() === row)
    ?.querySelector(`td[data-mode="${mode}"]`)
    ?.textContent?.trim();

describe('the Rollout view', () => {
  it('shows both modes side by side and the verdict with its figures', async () => {
    api.on('GET /api/platform/rollout', (request) => ({
      body: report(Number(request.query.get('minutes'))),
    }));
    app = await mountApp(api, '/rollout');
    await see('Verdict: Pass');
    expect(api.requestsTo('GET /api/platform/rollout')[0]?.query.get('minutes')).toBe('60');
    expect(cellText('Executions finished', 'process')).toBe('8');
    expect(cellText('Executions finished', 'thread')).toBe('10');
    expect(cellText('Success rate', 'process')).toBe('75.0 %');
    expect(cellText('Success rate', 'thread')).toBe('90.0 %');
    expect(cellText('Failures by error type', 'thread')).toBe('ExecutionStuck 1');
    expect(cellText('Memory per execution', 'thread')).toBe('40.0 MB (5 heartbeats)');
    expect(page()).toContain('60.0 % less (needs more than 50.0 %)');
    expect(page()).toContain('1 of 1 stuck thread-mode executions have a stuck record');
    expect(page()).toContain('No data in this window yet.');
  });

  it('reads the figures again when an execution finishes', async () => {
    let thread = 10;
    api.on('GET /api/platform/rollout', () => ({ body: report(60, thread) }));
    app = await mountApp(api, '/rollout');
    await see('Verdict: Pass');
    await live();
    thread = 11;
    api.push({
      type: 'execution_finished',
      executionId: 'e-new',
      workflowId: 'echo',
      status: 'SUCCESS',
      workerId: 'worker-a',
      durationMs: 12,
    });
    await vi.waitFor(() => expect(cellText('Executions finished', 'thread')).toBe('11'), {
      timeout: 5000,
    });
  });
});
