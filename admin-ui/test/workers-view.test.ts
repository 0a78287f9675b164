import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeApi } from './support/fake-api';
import {
  iso,
  processSnapshot,
  queueResponse,
  workerSummary,
  workersResponse,
} from './support/fixtures';
import { click, element, live, mountApp, page, see, type MountedApp } from './support/mount-app';

let api: FakeApi;
let app: MountedApp | undefined;

beforeEach(async () => {
  api = await new FakeApi().start();
  api.on('GET /api/workflows', {
    body: {
      workflows: [{ id: 'echo', name: 'Echo', timeoutSeconds: 30, workers: 1, blacklisted: false }],
    },
  });
  api.on('GET /api/platform/queue', { body: queueResponse() });
});

afterEach(async () => {
  await app?.unmount();
  app = undefined;
  await api.stop();
});

describe('the Workers view', () => {
  it('shows a loading state, then the fleet', async () => {
    api.on('GET /api/platform/workers', { body: workersResponse(), delayMs: 400 });
    app = await mountApp(api, '/workers');
    await element('[data-testid="workers-loading"]');
    await see('worker-a');
    expect(document.querySelector('[data-testid="workers-loading"]')).toBeNull();
    expect(page()).toContain('Thread pool');
    expect(page()).toContain('Process 4101');
    expect(page()).toContain('generation 1');
    expect(page()).toContain('58 MB');
    expect(page()).toContain('Idle — no executions running.');
  });

  it('shows the error and recovers on "Try again"', async () => {
    api.on('GET /api/platform/workers', {
      status: 500,
      body: {
        error: { code: 'INTERNAL', message: 'The request failed inside the API; it was logged' },
      },
    });
    app = await mountApp(api, '/workers');
    await see('The fleet could not be loaded');
    await see('The request failed inside the API; it was logged.');
    api.on('GET /api/platform/workers', { body: workersResponse() });
    await click('Try again');
    await see('Process 4101');
  });

  it('says so when no worker is online, and warns when messages wait with nobody to take them', async () => {
    api.on('GET /api/platform/workers', { body: workersResponse([]) });
    api.on('GET /api/platform/queue', {
      body: queueResponse({
        queue: { url: 'q', visible: 3, inFlight: 0, delayed: 0 },
        untracked: 3,
      }),
    });
    app = await mountApp(api, '/workers');
    await see('No workers are online');
    await see('No live worker is taking messages');
    expect(document.querySelector('[data-testid="queue-visible"]')?.textContent).toBe('3');
  });

  it('shows queued executions with their age, stuck ones pulsing, and what a draining process waits for', async () => {
    api.on('GET /api/platform/queue', {
      body: queueResponse({
        queue: { url: 'q', visible: 1, inFlight: 2, delayed: 0 },
        tracked: {
          count: 1,
          executions: [
            {
              executionId: 'ex-q',
              workflowId: 'echo',
              workflowName: 'Echo',
              queuedAt: iso(12_000),
              ageMs: 12_000,
            },
          ],
        },
      }),
    });
    api.on('GET /api/platform/workers', {
      body: workersResponse([
        workerSummary({
          processes: [
            processSnapshot({
              pid: 4101,
              generation: 1,
              state: 'DRAINING',
              executions: [
                {
                  executionId: 'ex-stuck',
                  workflowId: 'cpu-spin',
                  state: 'STUCK',
                  startedAt: iso(9_000),
                },
                {
                  executionId: 'ex-slow',
                  workflowId: 'slow-healthy',
                  state: 'RUNNING',
                  startedAt: iso(4_000),
                },
              ],
            }),
            processSnapshot({ pid: 4202, generation: 2, state: 'ACTIVE' }),
          ],
        }),
      ]),
    });
    app = await mountApp(api, '/workers');
    await see('Echo');
    expect(page()).toMatch(/queued 1[2-4] s ago/);
    const stuck = await element('[data-execution-id="ex-stuck"]');
    expect(stuck.getAttribute('data-state')).toBe('STUCK');
    expect(stuck.querySelector('.badge-pulse')).not.toBeNull();
    expect(page()).toContain('Waiting for 1 healthy execution to finish');
    // Only the ACTIVE process offers Recycle.
    const draining = await element(
      '[data-role="process"][data-pid="4101"] [data-testid="recycle-button"]',
    );
    const active = await element(
      '[data-role="process"][data-pid="4202"] [data-testid="recycle-button"]',
    );
    expect((draining as HTMLButtonElement).disabled).toBe(true);
    expect((active as HTMLButtonElement).disabled).toBe(false);
  });

  it('applies live events: pickup, stuck and a new process', async () => {
    api.on('GET /api/platform/workers', { body: workersResponse() });
    api.on('GET /api/platform/queue', {
      body: queueResponse({
        tracked: {
          count: 1,
          executions: [
            {
              executionId: 'ex-1',
              workflowId: 'echo',
              workflowName: 'Echo',
              queuedAt: iso(1_000),
              ageMs: 1_000,
            },
          ],
        },
      }),
    });
    app = await mountApp(api, '/workers');
    await element('[data-testid="queued-execution"][data-execution-id="ex-1"]');
    await live();
    api.on('GET /api/platform/queue', { body: queueResponse() });
    api.push({
      type: 'execution_started',
      executionId: 'ex-1',
      workflowId: 'echo',
      workerId: 'worker-a',
      pid: 4101,
      generation: 1,
      attempt: 1,
    });
    const running = await element('[data-role="running-execution"][data-execution-id="ex-1"]');
    expect(running.getAttribute('data-state')).toBe('RUNNING');

    api.push({
      type: 'execution_stuck',
      executionId: 'ex-1',
      workflowId: 'echo',
      workerId: 'worker-a',
      pid: 4101,
      generation: 1,
      elapsedMs: 3000,
    });
    await element('[data-execution-id="ex-1"][data-state="STUCK"]');
    api.push({
      type: 'process_state_changed',
      workerId: 'worker-a',
      pid: 4101,
      generation: 1,
      from: 'ACTIVE',
      to: 'DRAINING',
      reason: 'stuck',
    });
    api.push({
      type: 'process_state_changed',
      workerId: 'worker-a',
      pid: 4300,
      generation: 2,
      from: null,
      to: 'ACTIVE',
      reason: 'replacement',
    });
    await element('[data-role="process"][data-pid="4101"][data-state="DRAINING"]');
    await element('[data-role="process"][data-pid="4300"][data-state="ACTIVE"]');
    expect(page()).toContain('Only stuck executions remain; exiting');
  });

  it('recycles through the confirm dialog, sends the generation, waits, then confirms', async () => {
    api.on('GET /api/platform/workers', { body: workersResponse() });
    api.on('POST /api/platform/workers/worker-a/processes/4101/recycle', {
      status: 202,
      body: { created: true, command: { commandId: 'cmd-1' } },
    });
    app = await mountApp(api, '/workers');
    await live();
    await click('Recycle process 4101');
    await see('Recycle process 4101?');
    expect(page()).toContain('will start draining: it takes no new executions');
    expect(page()).toContain('Nothing healthy is ever killed.');
    await click('Recycle process');
    await see('Recycling…');
    await vi.waitFor(() =>
      expect(
        api.requestsTo('POST /api/platform/workers/worker-a/processes/4101/recycle')[0]?.body,
      ).toEqual({
        generation: 1,
      }),
    );

    api.push({
      type: 'process_state_changed',
      workerId: 'worker-a',
      pid: 4101,
      generation: 1,
      from: 'ACTIVE',
      to: 'PENDING_KILL',
      reason: 'recycle requested',
    });
    await see('Process 4101 is recycling');
    expect(document.querySelector('[role="alert"], [aria-live]')).not.toBeNull();
  });

  it('tells the admin when a recycle is refused', async () => {
    api.on('GET /api/platform/workers', { body: workersResponse() });
    api.on('POST /api/platform/workers/worker-a/processes/4101/recycle', {
      status: 409,
      body: {
        error: {
          code: 'STALE_GENERATION',
          message:
            'Process 4101 on worker-a is generation 2, not 1: it was replaced since you looked',
          field: 'generation',
        },
      },
    });
    app = await mountApp(api, '/workers');
    await click('Recycle process 4101');
    await click('Recycle process');
    await see('Process 4101 was not recycled');
    await see('it was replaced since you looked.');
  });

  it('shows a silent worker and keeps the page fresh by polling while disconnected', async () => {
    api.on('GET /api/platform/workers', {
      body: workersResponse([workerSummary({ lastHeartbeatAt: iso(600_000), health: 'silent' })]),
    });
    app = await mountApp(api, '/workers');
    await element('[data-testid="silent-warning"]');
    expect(page()).toContain('Silent: no heartbeat for 10 min');
    await live();
    const before = api.requestsTo('GET /api/platform/workers').length;
    api.refuseSockets = true;
    api.dropSockets();
    await see(/Reconnect/);
    await vi.waitFor(() =>
      expect(api.requestsTo('GET /api/platform/workers').length).toBeGreaterThanOrEqual(before + 2),
    );
    api.refuseSockets = false;
    await live();
  });

  it('shows a lost worker as lost, not silent, and dismisses it through the confirm dialog', async () => {
    api.on('GET /api/platform/workers', {
      body: workersResponse([
        workerSummary({
          lastHeartbeatAt: iso(1_200_000),
          status: 'LOST',
          health: 'lost',
          processes: [],
        }),
      ]),
    });
    api.on('DELETE /api/platform/workers/worker-a', {
      body: { workerId: 'worker-a', dismissed: true },
    });
    app = await mountApp(api, '/workers');
    await element('[data-testid="lost-warning"]');
    expect(document.querySelector('[data-testid="silent-warning"]')).toBeNull();
    expect(page()).toContain('Lost: no heartbeat since');
    await live();
    await click('Dismiss…');
    await see('Dismiss worker worker-a?');
    await click('Dismiss');
    await see('Worker worker-a dismissed');
    expect(api.requestsTo('DELETE /api/platform/workers/worker-a')).toHaveLength(1);
    expect(document.querySelector('[data-worker-id="worker-a"][data-role="worker"]')).toBeNull();
  });
});
