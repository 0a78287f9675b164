/**
 * Read models over the Workers table shared by the API and the sweep: a worker's health
 * (online / silent / offline / lost), the workflow catalog the workers registered, and which processes
 * have been draining too long.
 */
import type {
  ProcessSnapshot,
  WorkerHealth,
  WorkerRecord,
  WorkerSummary,
  WorkflowCatalogEntry,
  WorkflowInfo,
} from '@warden/core';

export function workerHealth(
  worker: WorkerRecord,
  now: number,
  silentAfterMs: number,
): WorkerHealth {
  if (worker.status === 'OFFLINE') return 'offline';
  if (worker.status === 'LOST') return 'lost';
  return now - Date.parse(worker.lastHeartbeatAt) > silentAfterMs ? 'silent' : 'online';
}

export function summarizeWorker(
  worker: WorkerRecord,
  now: number,
  silentAfterMs: number,
): WorkerSummary {
  const { expiresAt: _expires, ...rest } = worker;
  return {
    ...rest,
    health: workerHealth(worker, now, silentAfterMs),
    heartbeatAgeMs: Math.max(0, now - Date.parse(worker.lastHeartbeatAt)),
  };
}

/**
 * The union of the catalogs of workers that are not offline. When workers disagree about a
 * workflow (a deploy in progress), the most recently started worker's definition wins.
 */
export function workflowCatalog(
  workers: WorkerRecord[],
  blacklisted: ReadonlySet<string>,
): WorkflowCatalogEntry[] {
  const byId = new Map<string, { info: WorkflowInfo; startedAt: string; workers: number }>();
  for (const worker of workers) {
    if (worker.status === 'OFFLINE' || worker.status === 'LOST') continue;
    for (const info of worker.workflows ?? []) {
      const known = byId.get(info.id);
      if (!known) {
        byId.set(info.id, { info, startedAt: worker.startedAt, workers: 1 });
        continue;
      }
      known.workers += 1;
      if (worker.startedAt > known.startedAt) {
        known.info = info;
        known.startedAt = worker.startedAt;
      }
    }
  }
  return [...byId.values()]
    .map(({ info, workers: count }) => ({
      id: info.id,
      name: info.name,
      timeoutSeconds: info.timeoutSeconds,
      ...(info.retry ? { retry: info.retry } : {}),
      ...(info.idempotent ? { idempotent: true } : {}),
      workers: count,
      blacklisted: blacklisted.has(info.id),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export interface LongDrainingProcess {
  workerId: string;
  pid: number;
  generation: number;
  state: ProcessSnapshot['state'];
  since: string;
  drainingForMs: number;
}

/**
 * Processes DRAINING (or PENDING_KILL) for longer than `thresholdMs`, on workers neither offline
 * nor lost (a lost worker's processes died with it and must not hold the draining alarm).
 */
export function longDrainingProcesses(
  workers: WorkerRecord[],
  now: number,
  thresholdMs: number,
): LongDrainingProcess[] {
  const found: LongDrainingProcess[] = [];
  for (const worker of workers) {
    if (worker.status === 'OFFLINE' || worker.status === 'LOST') continue;
    for (const process of worker.processes ?? []) {
      if (process.state !== 'DRAINING' && process.state !== 'PENDING_KILL') continue;
      const since = Date.parse(process.stateSince);
      if (now - since > thresholdMs) {
        found.push({
          workerId: worker.workerId,
          pid: process.pid,
          generation: process.generation,
          state: process.state,
          since: process.stateSince,
          drainingForMs: now - since,
        });
      }
    }
  }
  return found;
}

/** Silent workers whose last heartbeat is older than `lostAfterMs`: the sweep marks them LOST. */
export function workersToMarkLost(
  workers: WorkerRecord[],
  now: number,
  lostAfterMs: number,
): WorkerRecord[] {
  return workers.filter(
    (worker) =>
      worker.status !== 'OFFLINE' &&
      worker.status !== 'LOST' &&
      now - Date.parse(worker.lastHeartbeatAt) > lostAfterMs,
  );
}
