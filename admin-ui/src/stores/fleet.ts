/**
 * Workers, their processes and executions, and the queue: loaded over REST, kept current by live
 * events (see fleet-reducer.ts), and the recycle requests an admin has made and is waiting on.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { ApiError } from '../api/client';
import type { WardenEvent } from '../api/types';
import { api } from '../services';
import { notify } from '../utils/notify';
import {
  applyFleetEvent,
  emptyFleet,
  processKey,
  queueHasNoConsumer,
  type FleetState,
  type FleetWorker,
} from './fleet-reducer';
import { useMemoryStore } from './memory';

/** A worker without a heartbeat this long is silent, until the API says otherwise. */
export const DEFAULT_SILENT_AFTER_MS = 5 * 60_000;
/** How long a recycle may stay unanswered before the admin is told. */
export const RECYCLE_PATIENCE_MS = 30_000;

export interface PendingRecycle {
  workerId: string;
  pid: number;
  generation: number;
  requestedAt: number;
}

export const useFleetStore = defineStore('fleet', () => {
  const state = reactive<FleetState>(emptyFleet());
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | undefined>();
  const lastSyncAt = ref<number | undefined>();
  /** The API's silent-worker limit (WORKER_SILENT_AFTER_SECONDS). */
  const silentAfterMs = ref(DEFAULT_SILENT_AFTER_MS);
  const pendingRecycles = reactive<Record<string, PendingRecycle>>({});
  const memory = useMemoryStore();

  let queueTimer: ReturnType<typeof setTimeout> | undefined;
  let workersTimer: ReturnType<typeof setTimeout> | undefined;
  const recycleTimers = new Map<string, ReturnType<typeof setTimeout>>();

  const workers = computed<FleetWorker[]>(() =>
    Object.values(state.workers).sort((a, b) => {
      const rank = (w: FleetWorker) =>
        w.status === 'ONLINE' ? 0 : w.status === 'STOPPING' ? 1 : 2;
      return rank(a) - rank(b) || b.startedAt.localeCompare(a.startedAt);
    }),
  );

  function settleRecycles(): void {
    for (const [key, pending] of Object.entries(pendingRecycles)) {
      const worker = state.workers[pending.workerId];
      if (!worker) continue;
      const process = worker.processes.find(
        (p) => p.pid === pending.pid && p.generation === pending.generation,
      );
      if (process && process.state === 'ACTIVE') continue;
      clearTimeout(recycleTimers.get(key));
      recycleTimers.delete(key);
      delete pendingRecycles[key];
      notify(
        'success',
        `Process ${pending.pid} is recycling`,
        process
          ? `It is ${process.state === 'PENDING_KILL' ? 'pending kill' : process.state.toLowerCase()}: it takes no new work and exits once its healthy executions finish. A fresh process has taken over.`
          : 'It has exited and a fresh process has taken over.',
      );
    }
  }

  /** Events that arrive while a snapshot is being read, replayed on top of it once it lands. */
  const inFlightResyncs = new Set<WardenEvent[]>();

  async function resync(): Promise<void> {
    loading.value = true;
    const missed: WardenEvent[] = [];
    inFlightResyncs.add(missed);
    try {
      const [fleet, queue] = await Promise.all([api().listWorkers(), api().getQueue()]);
      const next: Record<string, FleetWorker> = {};
      for (const worker of fleet.workers) {
        next[worker.workerId] = worker;
        memory.record(worker.workerId, worker.processes, worker.lastHeartbeatAt);
      }
      // The snapshot may have been read before some events the page already showed; replaying
      // them in order keeps what they said (a pickup, a state change) from flickering away.
      const snapshot: FleetState = { workers: next, queue };
      for (const event of missed) applyFleetEvent(snapshot, event);
      state.workers = snapshot.workers;
      state.queue = snapshot.queue;
      silentAfterMs.value = fleet.silentAfterMs;
      loaded.value = true;
      error.value = undefined;
      lastSyncAt.value = Date.now();
      settleRecycles();
    } catch (caught) {
      error.value = caught instanceof Error ? caught.message : String(caught);
      throw caught;
    } finally {
      inFlightResyncs.delete(missed);
      loading.value = false;
    }
  }

  async function refreshQueue(): Promise<void> {
    try {
      state.queue = await api().getQueue();
    } catch {
      // The next event or resync tries again; the page keeps the last known queue.
    }
  }

  /** Coalesces a burst of queue events into one REST read. */
  function scheduleQueueRefresh(delayMs = 300): void {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(() => void refreshQueue(), delayMs);
  }

  function scheduleResync(delayMs = 300): void {
    clearTimeout(workersTimer);
    workersTimer = setTimeout(() => void resync().catch(() => undefined), delayMs);
  }

  function applyEvent(event: WardenEvent): void {
    for (const missed of inFlightResyncs) missed.push(event);
    const hints = applyFleetEvent(state, event);
    if (event.type === 'worker_heartbeat') memory.record(event.workerId, event.processes, event.at);
    if (hints.refreshQueue) scheduleQueueRefresh();
    if (hints.refreshWorkers) scheduleResync();
    settleRecycles();
  }

  /** Drops a worker the API dismissed (its worker_dismissed event does the same for others). */
  function forget(workerId: string): void {
    delete state.workers[workerId];
  }

  function isRecyclePending(workerId: string, pid: number, generation: number): boolean {
    return processKey(workerId, pid, generation) in pendingRecycles;
  }

  /**
   * Asks for a recycle. Resolves once the API accepted it; the admin is told again when the
   * process actually changes (or if it does not within RECYCLE_PATIENCE_MS).
   */
  async function recycle(workerId: string, pid: number, generation: number): Promise<boolean> {
    const key = processKey(workerId, pid, generation);
    pendingRecycles[key] = { workerId, pid, generation, requestedAt: Date.now() };
    try {
      await api().recycleProcess(workerId, pid, generation);
    } catch (caught) {
      delete pendingRecycles[key];
      const message = caught instanceof Error ? caught.message : String(caught);
      if (caught instanceof ApiError && (caught.status === 409 || caught.status === 404)) {
        notify(
          'error',
          `Process ${pid} was not recycled`,
          `${message} The page has been refreshed.`,
        );
        scheduleResync(0);
      } else {
        notify('error', `Process ${pid} was not recycled`, message);
      }
      return false;
    }
    recycleTimers.set(
      key,
      setTimeout(() => {
        if (!(key in pendingRecycles)) return;
        delete pendingRecycles[key];
        notify(
          'warn',
          `Process ${pid} has not changed yet`,
          'The recycle request was accepted but the worker has not acted on it. Check that the worker is online; the request stays queued for it.',
        );
      }, RECYCLE_PATIENCE_MS),
    );
    // The worker may have acted before this line ran.
    settleRecycles();
    return true;
  }

  /** Cancels pending timers (when the app unmounts). */
  function dispose(): void {
    clearTimeout(queueTimer);
    clearTimeout(workersTimer);
    for (const timer of recycleTimers.values()) clearTimeout(timer);
    recycleTimers.clear();
  }

  const noLiveConsumer = (now: number) => queueHasNoConsumer(state, now, silentAfterMs.value);

  return {
    state,
    workers,
    loaded,
    loading,
    error,
    lastSyncAt,
    silentAfterMs,
    pendingRecycles,
    resync,
    refreshQueue,
    applyEvent,
    forget,
    recycle,
    isRecyclePending,
    noLiveConsumer,
    dispose,
  };
});
