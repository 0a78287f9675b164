/**
 * The fleet as the app holds it, and how each live event changes it. Pure functions over plain
 * objects, so the same code runs in the Pinia store and in tests, and every rule is in one place.
 */
import type {
  ProcessSnapshot,
  QueueSnapshot,
  RunningExecutionSnapshot,
  WardenEvent,
  WorkerView,
} from '../api/types';

export interface FleetWorker extends WorkerView {
  /** Why the worker went offline, from its `worker_offline` event. */
  offlineReason?: string;
}

export interface FleetState {
  workers: Record<string, FleetWorker>;
  queue: QueueSnapshot;
}

/** What the store should do after an event that the event alone cannot fully describe. */
export interface ReducerHints {
  /** Counts (visible, in flight, ...) are only known to the API: re-read the queue. */
  refreshQueue?: boolean;
  /** An event named a worker the app has never seen: re-read the fleet. */
  refreshWorkers?: boolean;
}

export const emptyQueue = (): QueueSnapshot => ({
  visible: 0,
  inFlight: 0,
  delayed: 0,
  deadLetter: 0,
  untracked: 0,
  queued: [],
  paused: [],
});

export const emptyFleet = (): FleetState => ({ workers: {}, queue: emptyQueue() });

export const processKey = (workerId: string, pid: number, generation: number): string =>
  `${workerId}/${pid}/${generation}`;

function findProcess(
  worker: FleetWorker | undefined,
  pid: number,
  generation?: number,
): ProcessSnapshot | undefined {
  return worker?.processes.find(
    (p) => p.pid === pid && (generation === undefined || p.generation === generation),
  );
}

function placeholderProcess(pid: number, generation: number, at: string): ProcessSnapshot {
  return {
    pid,
    generation,
    state: 'ACTIVE',
    stateSince: at,
    startedAt: at,
    memoryMb: 0,
    memoryKind: 'rss',
    jobsProcessed: 0,
    executions: [],
  };
}

function removeQueued(state: FleetState, executionId: string | undefined): void {
  if (!executionId) return;
  const index = state.queue.queued.findIndex((q) => q.executionId === executionId);
  if (index >= 0) state.queue.queued.splice(index, 1);
}

function removeExecution(worker: FleetWorker | undefined, executionId: string): void {
  for (const process of worker?.processes ?? []) {
    const index = process.executions.findIndex((e) => e.executionId === executionId);
    if (index >= 0) process.executions.splice(index, 1);
  }
}

/** Applies one event to the fleet in place and says what else needs refreshing. */
export function applyFleetEvent(state: FleetState, event: WardenEvent): ReducerHints {
  switch (event.type) {
    case 'worker_online': {
      const existing = state.workers[event.worker.workerId];
      state.workers[event.worker.workerId] = {
        ...event.worker,
        workflows: existing?.workflows,
        health: 'online',
      };
      return {};
    }
    case 'worker_offline': {
      const worker = state.workers[event.workerId];
      if (!worker) return {};
      worker.status = 'OFFLINE';
      worker.health = 'offline';
      worker.processes = [];
      worker.offlineReason = event.reason;
      return { refreshQueue: true };
    }
    case 'worker_lost': {
      const worker = state.workers[event.workerId];
      if (!worker) return { refreshWorkers: true };
      worker.status = 'LOST';
      worker.health = 'lost';
      worker.processes = [];
      return { refreshQueue: true };
    }
    case 'worker_dismissed': {
      delete state.workers[event.workerId];
      return {};
    }
    case 'worker_heartbeat': {
      const worker = state.workers[event.workerId];
      if (!worker) return { refreshWorkers: true };
      worker.processes = event.processes;
      worker.lastHeartbeatAt = event.at;
      worker.mode = event.mode;
      worker.health = 'online';
      if (worker.status === 'OFFLINE' || worker.status === 'LOST') worker.status = 'ONLINE';
      // Executions a heartbeat shows running are no longer waiting in the queue.
      for (const process of event.processes) {
        for (const execution of process.executions) removeQueued(state, execution.executionId);
      }
      return {};
    }
    case 'process_state_changed': {
      const worker = state.workers[event.workerId];
      if (!worker) return { refreshWorkers: true };
      const process = findProcess(worker, event.pid, event.generation);
      if (event.to === null) {
        worker.processes = worker.processes.filter(
          (p) => !(p.pid === event.pid && p.generation === event.generation),
        );
        return {};
      }
      if (process) {
        process.state = event.to;
        process.stateSince = event.at;
      } else {
        const created = placeholderProcess(event.pid, event.generation, event.at);
        created.state = event.to;
        worker.processes.push(created);
      }
      return {};
    }
    case 'execution_started': {
      removeQueued(state, event.executionId);
      const worker = state.workers[event.workerId];
      if (!worker) return { refreshWorkers: true, refreshQueue: true };
      let process =
        findProcess(worker, event.pid, event.generation) ?? findProcess(worker, event.pid);
      if (!process) {
        process = placeholderProcess(event.pid, event.generation, event.at);
        worker.processes.push(process);
      }
      if (!process.executions.some((e) => e.executionId === event.executionId)) {
        const running: RunningExecutionSnapshot = {
          executionId: event.executionId,
          workflowId: event.workflowId,
          state: 'RUNNING',
          startedAt: event.at,
        };
        if (event.threadId !== undefined) running.threadId = event.threadId;
        process.executions.push(running);
      }
      return { refreshQueue: true };
    }
    case 'execution_finished': {
      removeQueued(state, event.executionId);
      const worker = state.workers[event.workerId];
      removeExecution(worker, event.executionId);
      return { refreshQueue: true };
    }
    case 'execution_stuck': {
      const worker = state.workers[event.workerId];
      const process =
        findProcess(worker, event.pid, event.generation) ?? findProcess(worker, event.pid);
      const execution = process?.executions.find((e) => e.executionId === event.executionId);
      if (execution) execution.state = 'STUCK';
      else if (process) {
        process.executions.push({
          executionId: event.executionId,
          workflowId: event.workflowId,
          state: 'STUCK',
          startedAt: new Date(Date.parse(event.at) - event.elapsedMs).toISOString(),
        });
      }
      return worker ? {} : { refreshWorkers: true };
    }
    case 'queue_changed': {
      // A deferred message (its workflow is paused) still waits; a redriven one is re-read.
      if (event.change === 'deferred' || event.change === 'redriven') return { refreshQueue: true };
      if (
        (event.change === 'queued' || event.change === 'retry_scheduled') &&
        event.executionId &&
        event.workflowId
      ) {
        if (!state.queue.queued.some((q) => q.executionId === event.executionId)) {
          state.queue.queued.push({
            executionId: event.executionId,
            workflowId: event.workflowId,
            queuedAt: event.at,
          });
        }
      } else {
        removeQueued(state, event.executionId);
      }
      return { refreshQueue: true };
    }
    case 'workflow_blacklisted':
    case 'workflow_unblacklisted':
      return {};
  }
}

/** Registered and neither offline nor lost, but no heartbeat for longer than the silent limit. */
export function isSilent(worker: FleetWorker, now: number, silentAfterMs: number): boolean {
  if (worker.status === 'OFFLINE' || worker.status === 'LOST') return false;
  return now - Date.parse(worker.lastHeartbeatAt) > silentAfterMs;
}

/** True when a worker can take work: online and heard from recently. */
export function isLive(worker: FleetWorker, now: number, silentAfterMs: number): boolean {
  return worker.status === 'ONLINE' && !isSilent(worker, now, silentAfterMs);
}

/** Messages wait in the queue but no live worker exists to take them. */
export function queueHasNoConsumer(state: FleetState, now: number, silentAfterMs: number): boolean {
  const waiting = state.queue.visible + state.queue.queued.length;
  if (waiting === 0) return false;
  return !Object.values(state.workers).some((w) => isLive(w, now, silentAfterMs));
}
