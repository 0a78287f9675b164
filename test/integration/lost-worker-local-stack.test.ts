/**
 * A worker killed with SIGKILL under `npm start` (no SIGTERM, so it never writes OFFLINE) is
 * marked LOST by the scheduled sweep once WORKER_LOST_AFTER_SECONDS have passed since its last
 * heartbeat, the execution it was running is recorded FAILED (WorkerLost), and the admin API
 * reports it LOST and dismisses it. Small settings keep the wait short.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionResponse, WorkersResponse } from '@warden/core';
import { adminApi, killLocalPlatforms, startLocalPlatform } from '../support/local-platform.js';
import { descendants } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const LOST_AFTER_SECONDS = 3;
const SWEEP_EVERY_SECONDS = 1;

afterEach(killLocalPlatforms);

describe('a worker killed with kill -9 under npm start', () => {
  it('is LOST within WORKER_LOST_AFTER_SECONDS plus one sweep, and its execution fails as WorkerLost', async () => {
    const { outputs } = await startLocalPlatform('lost-worker', {
      WARDEN_WORKERS: '1',
      USE_THREAD_WORKERS: 'false',
      WORKER_POLL_WAIT_SECONDS: '1',
      WORKER_HEARTBEAT_INTERVAL_SECONDS: '0.5',
      WORKER_VISIBILITY_TIMEOUT_SECONDS: '5',
      WORKER_SILENT_AFTER_SECONDS: '1',
      WORKER_LOST_AFTER_SECONDS: String(LOST_AFTER_SECONDS),
      CIRCUIT_BREAKER_INTERVAL_SECONDS: String(SWEEP_EVERY_SECONDS),
    });
    const api = adminApi(outputs);
    const [worker] = outputs.Workers;

    const submitted = await api<ExecutionResponse>('POST', '/api/executions', {
      workflowId: 'sleep',
      input: { ms: 60_000 },
    });
    expect(submitted.status).toBe(202);
    const { executionId } = submitted.body.execution;
    await waitFor('the execution to run', async () => {
      const { body } = await api<ExecutionResponse>('GET', `/api/executions/${executionId}`);
      return body.execution.status === 'RUNNING';
    });

    const tree = descendants(worker!.pid);
    process.kill(worker!.pid, 'SIGKILL');
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // The child saw its IPC channel close and left on its own.
      }
    }

    const lost = await waitFor(
      'the worker to be reported LOST',
      async () => {
        const { body } = await api<WorkersResponse>('GET', '/api/platform/workers');
        return body.workers.find((w) => w.workerId === worker!.workerId && w.status === 'LOST');
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(lost.health).toBe('lost');
    // The sweep that marked it ran no later than one interval after the limit passed (plus what
    // the sweep itself and the scheduler take on a busy two-core machine).
    const markedAfterMs = Date.parse(lost.lostAt!) - Date.parse(lost.lastHeartbeatAt);
    expect(markedAfterMs).toBeGreaterThan(LOST_AFTER_SECONDS * 1000);
    expect(markedAfterMs).toBeLessThan((LOST_AFTER_SECONDS + SWEEP_EVERY_SECONDS + 4) * 1000);

    // Its lease (shorter than the 5 s visibility timeout) may outlive the mark by a few seconds;
    // the first sweep after it expires records the execution.
    const failed = await waitFor('the execution to be recorded FAILED', async () => {
      const { body } = await api<ExecutionResponse>('GET', `/api/executions/${executionId}`);
      return body.execution.status === 'RUNNING' ? undefined : body.execution;
    });
    expect(failed).toMatchObject({ status: 'FAILED', errorType: 'WorkerLost' });
    expect(failed.errorMessage).toContain(`Worker ${worker!.workerId} stopped sending heartbeats`);

    const dismissed = await api('DELETE', `/api/platform/workers/${worker!.workerId}`);
    expect(dismissed.status).toBe(200);
    const after = await api<WorkersResponse>('GET', '/api/platform/workers');
    expect(after.body.workers.map((w) => w.workerId)).not.toContain(worker!.workerId);
  });
});
