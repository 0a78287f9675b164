/**
 * Lost workers over the real DynamoDB emulator and the real API: a worker that stopped sending
 * heartbeats without saying goodbye (kill -9, a host gone) is marked LOST by the sweep after
 * WORKER_LOST_AFTER_SECONDS, leaves the silent and draining counts, has the executions under its
 * expired leases recorded FAILED (WorkerLost), and can be dismissed by an admin. The same against
 * a worker really killed with SIGKILL under `npm start` is in lost-worker-local-stack.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkersResponse } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';

let stack: TestStack;
let cp: TestControlPlane;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack, {
    env: {
      WORKER_SILENT_AFTER_SECONDS: '60',
      WORKER_LOST_AFTER_SECONDS: '600',
      DRAINING_ALARM_SECONDS: '600',
    },
  });
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

async function running(
  executionId: string,
  workerId: string,
  leaseMs: number,
  workflowId = 'echo',
  attempt = 1,
): Promise<void> {
  await stack.repos.executions.createQueued({ executionId, workflowId });
  const claim = await stack.repos.executions.claim({
    executionId,
    workflowId,
    workerId,
    attempt,
    leaseMs,
    queuedAt: new Date().toISOString(),
    timeoutSeconds: 30,
  });
  expect(claim.claimed).toBe(true);
}

describe('a worker silent for longer than WORKER_LOST_AFTER_SECONDS', () => {
  it('is marked LOST once, leaves the silent and draining counts, and its expired leases fail', async () => {
    const events = await cp.listen();
    await stack.repos.workers.register(
      workerRecord('gone', {
        lastHeartbeatAt: minutesAgo(20),
        processes: [
          {
            pid: 77,
            generation: 1,
            state: 'DRAINING',
            stateSince: minutesAgo(40),
            startedAt: minutesAgo(60),
            memoryMb: 100,
            memoryKind: 'rss',
            jobsProcessed: 3,
            executions: [],
          },
        ],
      }),
    );
    await stack.repos.workers.register(workerRecord('quiet', { lastHeartbeatAt: minutesAgo(5) }));
    await stack.repos.workers.register(workerRecord('alive'));
    // Under the lost worker's expired lease: failed. Under a live lease of another worker (it
    // picked the message up again): left alone.
    await running('lost-run', 'gone', -60_000);
    await running('taken-over', 'alive', 60_000);
    // Still leased when the worker is marked (a lease can outlive WORKER_LOST_AFTER_SECONDS when
    // that is set shorter than the visibility timeout): failed by a later sweep.
    await running('late-lease', 'gone', 5_000);

    const first = await cp.sweep();
    expect(first.lost).toEqual([
      {
        workerId: 'gone',
        lastHeartbeatAt: expect.any(String),
        failedExecutions: ['lost-run'],
        retriedExecutions: [],
      },
    ]);
    expect(first.health.silentWorkers.map((w) => w.workerId)).toEqual(['quiet']);
    expect(first.health.longDraining).toEqual([]);
    expect(first.health.workers).toMatchObject({ online: 1, silent: 1, lost: 1 });

    const lostRun = await stack.repos.executions.get('lost-run');
    expect(lostRun).toMatchObject({ status: 'FAILED', errorType: 'WorkerLost' });
    expect(lostRun?.errorMessage).toContain('Worker gone stopped sending heartbeats');
    expect(lostRun?.leaseExpiresAt).toBeUndefined();
    expect((await stack.repos.executions.get('taken-over'))?.status).toBe('RUNNING');

    const lostEvent = await events.next('worker_lost', (e) => e.workerId === 'gone');
    expect(lostEvent.failedExecutions).toEqual(['lost-run']);
    await events.next('execution_finished', (e) => e.executionId === 'lost-run');

    expect((await stack.repos.executions.get('late-lease'))?.status).toBe('RUNNING');
    const { leaseExpiresAt } = (await stack.repos.executions.get('late-lease'))!;
    await waitFor('the late lease to expire', () => Date.now() > leaseExpiresAt! + 50, {
      timeoutMs: 10_000,
    });

    // A later sweep marks nothing again, does not count it silent, and fails the late lease.
    const second = await cp.sweep();
    expect(second.lost).toEqual([]);
    expect(second.health.workers).toMatchObject({ silent: 1, lost: 1 });
    expect(await stack.repos.executions.get('late-lease')).toMatchObject({
      status: 'FAILED',
      errorType: 'WorkerLost',
    });

    const listed = await cp.api<WorkersResponse>('GET', '/api/platform/workers');
    const gone = listed.body.workers.find((w) => w.workerId === 'gone');
    expect(gone).toMatchObject({ status: 'LOST', health: 'lost', processes: [] });
    expect(gone?.lostAt).toEqual(expect.any(String));
    await events.close();
  });

  it('leaves an idempotent workflow with attempts left for its message to run again as the next attempt', async () => {
    const retry = { attempts: 3, backoffSeconds: 1 };
    await stack.repos.workers.register(
      workerRecord('crashed', {
        lastHeartbeatAt: minutesAgo(20),
        // The lost worker's catalog decides, as the policy its attempts started under.
        workflows: [
          { id: 'sync-orders', name: 'Sync orders', timeoutSeconds: 30, retry, idempotent: true },
          { id: 'charge-card', name: 'Charge card', timeoutSeconds: 30, retry },
          { id: 'sync-once', name: 'Sync once', timeoutSeconds: 30, idempotent: true },
        ],
      }),
    );
    await running('sync-run', 'crashed', -60_000, 'sync-orders');
    // Idempotent but on its last attempt, not idempotent, or without a retry policy: failed, as
    // the worker would not retry a WorkerLost of them either.
    await running('sync-last', 'crashed', -60_000, 'sync-orders', 3);
    await running('charge-run', 'crashed', -60_000, 'charge-card');
    await running('once-run', 'crashed', -60_000, 'sync-once');

    const first = await cp.sweep();
    const left = await stack.repos.executions.get('sync-run');
    expect(left).toMatchObject({ status: 'RUNNING', attempt: 1, leaseOwner: 'crashed' });
    expect(left?.errorType).toBeUndefined();
    const crashed = first.lost.find((w) => w.workerId === 'crashed');
    expect(crashed?.retriedExecutions).toEqual(['sync-run']);
    expect([...(crashed?.failedExecutions ?? [])].sort()).toEqual([
      'charge-run',
      'once-run',
      'sync-last',
    ]);
    for (const id of ['charge-run', 'once-run', 'sync-last']) {
      expect(await stack.repos.executions.get(id)).toMatchObject({
        status: 'FAILED',
        errorType: 'WorkerLost',
      });
    }

    // A later sweep leaves it too.
    await cp.sweep();
    expect((await stack.repos.executions.get('sync-run'))?.status).toBe('RUNNING');

    // Its message comes back after the visibility timeout (a second receive): the next claim
    // takes the expired lease and runs it as attempt 2.
    const claim = await stack.repos.executions.claim({
      executionId: 'sync-run',
      workflowId: 'sync-orders',
      workerId: 'alive',
      attempt: 2,
      leaseMs: 60_000,
      queuedAt: new Date().toISOString(),
      timeoutSeconds: 30,
    });
    expect(claim.claimed).toBe(true);
    expect(await stack.repos.executions.get('sync-run')).toMatchObject({
      status: 'RUNNING',
      attempt: 2,
      leaseOwner: 'alive',
    });
  });

  it('is not marked when it beats again before the sweep writes (conditional on the heartbeat read)', async () => {
    const lastHeartbeatAt = minutesAgo(30);
    await stack.repos.workers.register(workerRecord('back', { lastHeartbeatAt }));
    await stack.repos.workers.heartbeat('back', []);
    expect(await stack.repos.workers.markLost('back', lastHeartbeatAt)).toBe(false);
    expect((await stack.repos.workers.get('back'))?.status).toBe('ONLINE');
  });
});

describe('DELETE /api/platform/workers/{workerId}', () => {
  it('dismisses a LOST worker for an admin only, and refuses a worker that is not lost', async () => {
    await stack.repos.workers.register(workerRecord('ghost', { lastHeartbeatAt: minutesAgo(30) }));
    await stack.repos.workers.register(workerRecord('busy'));
    await cp.sweep();
    expect((await stack.repos.workers.get('ghost'))?.status).toBe('LOST');

    const denied = await cp.api('DELETE', '/api/platform/workers/ghost', {
      token: cp.nonAdminToken,
    });
    expect(denied.status).toBe(403);
    const anonymous = await cp.api('DELETE', '/api/platform/workers/ghost', { token: null });
    expect(anonymous.status).toBe(401);

    const refused = await cp.api('DELETE', '/api/platform/workers/busy');
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('WORKER_NOT_LOST');
    expect(refused.body.error?.message).toContain('only a LOST or OFFLINE worker can be dismissed');
    expect((await stack.repos.workers.get('busy'))?.status).toBe('ONLINE');

    const events = await cp.listen();
    const dismissed = await cp.api('DELETE', '/api/platform/workers/ghost');
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toEqual({ workerId: 'ghost', dismissed: true });
    expect(await stack.repos.workers.get('ghost')).toBeUndefined();
    await events.next('worker_dismissed', (e) => e.workerId === 'ghost');
    const again = await cp.api('DELETE', '/api/platform/workers/ghost');
    expect(again.status).toBe(404);
    await events.close();
  });
});
