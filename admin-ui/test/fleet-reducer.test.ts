import { describe, expect, it } from 'vitest';
import {
  applyFleetEvent,
  emptyFleet,
  isLive,
  isSilent,
  queueHasNoConsumer,
  type FleetState,
} from '../src/stores/fleet-reducer';
import type { WardenEvent } from '../src/api/types';
import { iso, processSnapshot, workerSummary } from './support/fixtures';

const AT = '2026-11-26T10:00:00.000Z';

function fleetWithOneWorker(): FleetState {
  const state = emptyFleet();
  state.workers['worker-a'] = workerSummary();
  return state;
}

const process = (state: FleetState, pid: number) =>
  state.workers['worker-a']?.processes.find((p) => p.pid === pid);

describe('the fleet event reducer', () => {
  it('moves an execution from the queue into its process when it is picked up', () => {
    const state = fleetWithOneWorker();
    applyFleetEvent(state, {
      type: 'queue_changed',
      change: 'queued',
      executionId: 'ex-1',
      workflowId: 'echo',
      at: AT,
    });
    expect(state.queue.queued).toEqual([{ executionId: 'ex-1', workflowId: 'echo', queuedAt: AT }]);

    const hints = applyFleetEvent(state, {
      type: 'execution_started',
      executionId: 'ex-1',
      workflowId: 'echo',
      workerId: 'worker-a',
      pid: 4101,
      generation: 1,
      threadId: 3,
      attempt: 1,
      at: AT,
    });
    expect(state.queue.queued).toEqual([]);
    expect(process(state, 4101)?.executions).toEqual([
      { executionId: 'ex-1', workflowId: 'echo', state: 'RUNNING', startedAt: AT, threadId: 3 },
    ]);
    // Counts such as "in flight" are only known to SQS: the store re-reads the queue.
    expect(hints.refreshQueue).toBe(true);
  });

  it('marks a stuck execution STUCK and removes a finished one', () => {
    const state = fleetWithOneWorker();
    process(state, 4101)!.executions.push(
      { executionId: 'ex-spin', workflowId: 'cpu-spin', state: 'RUNNING', startedAt: AT },
      { executionId: 'ex-echo', workflowId: 'echo', state: 'RUNNING', startedAt: AT },
    );
    applyFleetEvent(state, {
      type: 'execution_stuck',
      executionId: 'ex-spin',
      workflowId: 'cpu-spin',
      workerId: 'worker-a',
      pid: 4101,
      generation: 1,
      elapsedMs: 3100,
      at: AT,
    });
    applyFleetEvent(state, {
      type: 'execution_finished',
      executionId: 'ex-echo',
      workflowId: 'echo',
      workerId: 'worker-a',
      status: 'SUCCESS',
      durationMs: 12,
      at: AT,
    });
    expect(process(state, 4101)?.executions.map((e) => [e.executionId, e.state])).toEqual([
      ['ex-spin', 'STUCK'],
    ]);
  });

  it('follows a process through draining, its replacement appearing, and its exit', () => {
    const state = fleetWithOneWorker();
    const change = (pid: number, generation: number, from: string | null, to: string | null) =>
      applyFleetEvent(state, {
        type: 'process_state_changed',
        workerId: 'worker-a',
        pid,
        generation,
        from,
        to,
        reason: 'stuck execution',
        at: AT,
      } as WardenEvent);

    change(4101, 1, 'ACTIVE', 'DRAINING');
    expect(process(state, 4101)).toMatchObject({ state: 'DRAINING', stateSince: AT });

    change(4202, 2, null, 'ACTIVE');
    expect(process(state, 4202)).toMatchObject({ generation: 2, state: 'ACTIVE', executions: [] });

    change(4101, 1, 'DRAINING', null);
    expect(state.workers['worker-a']?.processes.map((p) => p.pid)).toEqual([4202]);
  });

  it('ignores an exit for an older generation under a reused pid', () => {
    const state = fleetWithOneWorker();
    applyFleetEvent(state, {
      type: 'process_state_changed',
      workerId: 'worker-a',
      pid: 4101,
      generation: 0,
      from: 'DRAINING',
      to: null,
      reason: 'exited',
      at: AT,
    });
    expect(process(state, 4101)?.generation).toBe(1);
  });

  it('replaces processes and the heartbeat time on a heartbeat, and drops what it shows running from the queue', () => {
    const state = fleetWithOneWorker();
    state.queue.queued.push({ executionId: 'ex-9', workflowId: 'echo', queuedAt: AT });
    applyFleetEvent(state, {
      type: 'worker_heartbeat',
      workerId: 'worker-a',
      mode: 'thread',
      processes: [
        processSnapshot({
          pid: 4101,
          memoryMb: 71,
          executions: [
            { executionId: 'ex-9', workflowId: 'echo', state: 'RUNNING', startedAt: AT },
          ],
        }),
      ],
      at: AT,
    });
    expect(state.workers['worker-a']).toMatchObject({ lastHeartbeatAt: AT, health: 'online' });
    expect(process(state, 4101)?.memoryMb).toBe(71);
    expect(state.queue.queued).toEqual([]);
  });

  it('asks for a full resync when an event names a worker it has never seen', () => {
    const state = emptyFleet();
    const hints = applyFleetEvent(state, {
      type: 'worker_heartbeat',
      workerId: 'worker-new',
      mode: 'process',
      processes: [],
      at: AT,
    });
    expect(hints.refreshWorkers).toBe(true);
  });

  it('adds a worker that comes online and marks one that goes offline', () => {
    const state = emptyFleet();
    const {
      workflows: _w,
      health: _h,
      heartbeatAgeMs: _a,
      ...record
    } = workerSummary({
      workerId: 'worker-b',
    });
    applyFleetEvent(state, { type: 'worker_online', worker: record, at: AT });
    expect(state.workers['worker-b']).toMatchObject({ status: 'ONLINE', health: 'online' });

    applyFleetEvent(state, {
      type: 'worker_offline',
      workerId: 'worker-b',
      reason: 'SIGTERM',
      at: AT,
    });
    expect(state.workers['worker-b']).toMatchObject({
      status: 'OFFLINE',
      health: 'offline',
      processes: [],
      offlineReason: 'SIGTERM',
    });
  });

  it('marks a worker lost (not silent) on worker_lost and drops it on worker_dismissed', () => {
    const state = fleetWithOneWorker();
    applyFleetEvent(state, {
      type: 'worker_lost',
      workerId: 'worker-a',
      lastHeartbeatAt: AT,
      failedExecutions: ['ex-1'],
      at: AT,
    });
    expect(state.workers['worker-a']).toMatchObject({
      status: 'LOST',
      health: 'lost',
      processes: [],
    });
    expect(isSilent(state.workers['worker-a']!, Date.parse(AT) + 3_600_000, 60_000)).toBe(false);
    applyFleetEvent(state, {
      type: 'worker_dismissed',
      workerId: 'worker-a',
      dismissedBy: 'admin',
      at: AT,
    });
    expect(state.workers['worker-a']).toBeUndefined();
  });

  it('takes refused and dead-lettered messages off the queue', () => {
    const state = emptyFleet();
    state.queue.queued.push(
      { executionId: 'a', workflowId: 'echo', queuedAt: AT },
      { executionId: 'b', workflowId: 'echo', queuedAt: AT },
    );
    applyFleetEvent(state, { type: 'queue_changed', change: 'refused', executionId: 'a', at: AT });
    applyFleetEvent(state, {
      type: 'queue_changed',
      change: 'dead_lettered',
      executionId: 'b',
      at: AT,
    });
    expect(state.queue.queued).toEqual([]);
  });

  it('leaves the fleet alone for blacklist events', () => {
    const state = fleetWithOneWorker();
    const before = JSON.stringify(state);
    applyFleetEvent(state, {
      type: 'workflow_unblacklisted',
      workflowId: 'x',
      removedBy: 'admin',
      at: AT,
    });
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe('the no-live-worker badge', () => {
  const now = Date.now();

  it('shows when messages wait and no worker is live', () => {
    const state = emptyFleet();
    state.queue.visible = 3;
    expect(queueHasNoConsumer(state, now, 300_000)).toBe(true);
    state.workers['worker-a'] = workerSummary({ lastHeartbeatAt: iso(400_000, now) });
    expect(queueHasNoConsumer(state, now, 300_000)).toBe(true);
  });

  it('stays hidden with a live worker, or with nothing waiting', () => {
    const state = emptyFleet();
    state.workers['worker-a'] = workerSummary({ lastHeartbeatAt: iso(1_000, now) });
    state.queue.visible = 3;
    expect(queueHasNoConsumer(state, now, 300_000)).toBe(false);
    state.workers = {};
    state.queue.visible = 0;
    expect(queueHasNoConsumer(state, now, 300_000)).toBe(false);
  });

  it('treats a stopping worker as not live', () => {
    expect(
      isLive(workerSummary({ status: 'STOPPING', lastHeartbeatAt: iso(0, now) }), now, 300_000),
    ).toBe(false);
  });
});
