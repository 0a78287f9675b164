/**
 * GET /api/platform/rollout and `warden rollout` over records written the way workers write
 * them (repositories stamped with a mode and version, clocks set to chosen instants): the window
 * bounds, executions on the index's time-slice boundaries counted once, the verdict's figures,
 * and the 400 that names the window limit.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRepositories,
  iso,
  type ErrorType,
  type RolloutResponse,
  type WorkerMode,
} from '@warden/core';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let cp: TestControlPlane;
/** Seeded instants are relative to this; the API's window ends at its own now, a little later. */
const NOW = Date.now();
const MINUTE = 60_000;

async function finished(
  mode: WorkerMode,
  id: string,
  minutesAgo: number,
  outcome: { status: 'SUCCESS' | 'FAILED'; errorType?: ErrorType },
  durationMs = 100,
): Promise<void> {
  const end = NOW - minutesAgo * MINUTE;
  let at = end - durationMs;
  const repos = createRepositories(stack.clients.dynamo, stack.tables, () => at, {
    mode,
    version: '2.0.0',
  });
  const claim = await repos.executions.claim({
    executionId: id,
    workflowId: 'echo',
    workerId: `${mode}-worker`,
    attempt: 1,
    leaseMs: 60_000,
    queuedAt: iso(at - 10),
    timeoutSeconds: 30,
  });
  expect(claim.claimed).toBe(true);
  at = end;
  await repos.executions.finish(id, `${mode}-worker`, outcome);
}

async function sample(
  mode: WorkerMode,
  minutesAgo: number,
  fields: { kind: 'heartbeat' | 'recycle' | 'exit'; inFlight?: number; memoryMb?: number },
): Promise<void> {
  const repos = createRepositories(
    stack.clients.dynamo,
    stack.tables,
    () => NOW - minutesAgo * MINUTE,
  );
  await repos.samples.record({ mode, workerId: `${mode}-worker`, version: '2.0.0', ...fields });
}

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  const ok = { status: 'SUCCESS' } as const;
  // Baseline: 3 of 4 succeed; 100 MB per execution.
  await finished('process', 'p-1', 5, ok, 100);
  await finished('process', 'p-2', 15, ok, 200);
  await finished('process', 'p-3', 25, ok, 300);
  await finished('process', 'p-4', 35, { status: 'FAILED', errorType: 'WorkflowError' }, 400);
  // Outside a 60-minute window: never counted.
  await finished('process', 'p-old', 90, { status: 'FAILED', errorType: 'WorkflowError' });
  await sample('process', 10, { kind: 'heartbeat', inFlight: 2, memoryMb: 200 });
  await sample('process', 20, { kind: 'heartbeat', inFlight: 0, memoryMb: 150 });
  // Canary: 4 of 5 succeed, one stuck with its stuck record; 40 MB per execution.
  for (const [i, minutesAgo] of [1, 2, 30, 45].entries()) {
    await finished('thread', `t-${i}`, minutesAgo, ok, 50 * (i + 1));
  }
  await finished('thread', 't-stuck', 40, { status: 'FAILED', errorType: 'ExecutionStuck' }, 1500);
  await stack.repos.stuck.record({
    workflowId: 'echo',
    executionId: 't-stuck',
    stuckAt: iso(NOW - 40 * MINUTE - 100),
    workerId: 'thread-worker',
    elapsedMs: 1400,
  });
  await sample('thread', 10, { kind: 'heartbeat', inFlight: 4, memoryMb: 160 });
  await sample('thread', 39, { kind: 'recycle' });
  // A process claimed and not finished is not in the window's executions.
  const running = createRepositories(stack.clients.dynamo, stack.tables, undefined, {
    mode: 'thread',
    version: '2.0.0',
  });
  await running.executions.claim({
    executionId: 't-running',
    workflowId: 'echo',
    workerId: 'thread-worker',
    attempt: 1,
    leaseMs: 60_000,
    queuedAt: iso(NOW),
    timeoutSeconds: 30,
  });
}, 60_000);

afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

describe('GET /api/platform/rollout', () => {
  it('compares the modes over the last 60 minutes by default and passes the verdict', async () => {
    const { status, body } = await cp.api<RolloutResponse>('GET', '/api/platform/rollout');
    expect(status).toBe(200);
    expect(body.window.minutes).toBe(60);
    expect(Date.parse(body.window.to) - Date.parse(body.window.from)).toBe(60 * MINUTE);
    expect(body.modes.process).toMatchObject({
      executions: 4,
      succeeded: 3,
      failed: 1,
      stuck: 0,
      successRate: 0.75,
      failuresByErrorType: { WorkflowError: 1 },
      durationMs: { p50: 200, p95: 400 },
      queueTimeMs: { p50: 10, p95: 10 },
      memoryPerExecutionMb: 100,
      memorySamples: 1,
      workers: 1,
      recycles: 0,
    });
    expect(body.modes.thread).toMatchObject({
      executions: 5,
      succeeded: 4,
      failed: 1,
      stuck: 1,
      stuckRecorded: 1,
      successRate: 0.8,
      failuresByErrorType: { ExecutionStuck: 1 },
      durationMs: { p50: 150, p95: 1500 },
      memoryPerExecutionMb: 40,
      recycles: 1,
    });
    expect(body.verdict.status).toBe('pass');
    expect(body.verdict.checks.memoryPerExecution).toMatchObject({
      status: 'pass',
      processMb: 100,
      threadMb: 40,
      reduction: 0.6,
    });
    expect(body.verdict.checks.successRate).toMatchObject({ process: 0.75, thread: 0.8 });
    expect(body.verdict.checks.stuckRecorded).toMatchObject({ stuck: 1, recorded: 1 });
    expect(body.series.thread.reduce((sum, point) => sum + point.executions, 0)).toBe(5);
  });

  it('narrows to the window asked for', async () => {
    const { body } = await cp.api<RolloutResponse>('GET', '/api/platform/rollout?minutes=12');
    expect(body.modes.process.executions).toBe(1);
    expect(body.modes.thread.executions).toBe(2);
    expect(body.modes.thread.stuck).toBe(0);
    expect(body.verdict.checks.stuckRecorded.status).toBe('insufficient_data');
  });

  it.each(['0', '1441', 'abc', '1.5'])(
    'refuses minutes=%s naming the accepted range',
    async (raw) => {
      const { status, body } = await cp.api('GET', `/api/platform/rollout?minutes=${raw}`);
      expect(status).toBe(400);
      expect(body.error?.field).toBe('minutes');
      expect(body.error?.message).toContain('from 1 to 1440');
    },
  );

  it('needs a token', async () => {
    const { status } = await cp.api('GET', '/api/platform/rollout', { token: null });
    expect(status).toBe(401);
  });
});

describe('executions by mode and finish time', () => {
  it('reads each execution once across parallel time slices, the window end excluded', async () => {
    const start = NOW - 200 * MINUTE;
    for (const [id, offset] of [
      ['b-start', 0],
      ['b-slice', MINUTE],
      ['b-mid', 2.5 * MINUTE],
      ['b-end', 4 * MINUTE],
    ] as const) {
      const repos = createRepositories(stack.clients.dynamo, stack.tables, () => start + offset, {
        mode: 'process',
        version: '2.0.0',
      });
      await repos.executions.claim({
        executionId: id,
        workflowId: 'echo',
        workerId: 'w',
        attempt: 1,
        leaseMs: 60_000,
        queuedAt: iso(start),
        timeoutSeconds: 30,
      });
      await repos.executions.finish(id, 'w', { status: 'SUCCESS' });
    }
    const page = await stack.repos.executions.listFinished(
      'process',
      iso(start),
      iso(start + 4 * MINUTE),
      { cap: 100, segments: 4 },
    );
    expect(page.items.map((item) => item.executionId).sort()).toEqual([
      'b-mid',
      'b-slice',
      'b-start',
    ]);
    expect(page.truncated).toBe(false);
    const capped = await stack.repos.executions.listFinished(
      'process',
      iso(start),
      iso(start + 4 * MINUTE),
      { cap: 1, segments: 1 },
    );
    expect(capped.items).toHaveLength(1);
    expect(capped.truncated).toBe(true);
  });
});

function warden(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['services/client/bin/warden.js', ...args],
      {
        env: {
          PATH: process.env.PATH,
          WARDEN_HOME: '/nonexistent',
          WARDEN_API_URL: cp.apiUrl,
          WARDEN_ADMIN_TOKEN: cp.adminToken,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 99) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

describe('warden rollout', () => {
  it('prints the modes side by side and the verdict with its figures', async () => {
    const { code, stdout } = await warden('rollout');
    expect(code).toBe(0);
    expect(stdout).toMatch(/PROCESS \(baseline\).*THREAD \(canary\)/);
    expect(stdout).toMatch(/success rate\s+│\s+75\.0 %\s+│\s+80\.0 %/);
    expect(stdout).toMatch(/memory per execution\s+│\s+100 MB \(1 heartbeats\)\s+│\s+40 MB/);
    expect(stdout).toContain('Verdict: PASS');
    expect(stdout).toContain('thread 40 MB vs process 100 MB per execution: 60.0 % less');
  });

  it('prints the API JSON with --json and --minutes', async () => {
    const { code, stdout } = await warden('--json', 'rollout', '--minutes', '12');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RolloutResponse;
    expect(report.window.minutes).toBe(12);
    expect(report.modes.thread.executions).toBe(2);
  });

  it('refuses a window beyond the limit before calling the API', async () => {
    const { code, stderr } = await warden('rollout', '--minutes', '5000');
    expect(code).toBe(2);
    expect(stderr).toContain('--minutes must be an integer from 1 to 1440');
  });
});
