/** Realistic records for tests: a thread-mode worker with one pool process, and friends. */
import type {
  BlacklistEntry,
  ProcessSnapshot,
  QueueStatusResponse,
  WorkerSummary,
  WorkersResponse,
} from '@warden/core';

export const iso = (msAgo = 0, now = Date.now()): string => new Date(now - msAgo).toISOString();

export function processSnapshot(overrides: Partial<ProcessSnapshot> = {}): ProcessSnapshot {
  return {
    pid: 4101,
    generation: 1,
    state: 'ACTIVE',
    stateSince: iso(60_000),
    startedAt: iso(60_000),
    memoryMb: 58,
    memoryKind: 'pss',
    jobsProcessed: 12,
    executions: [],
    ...overrides,
  };
}

export function workerSummary(overrides: Partial<WorkerSummary> = {}): WorkerSummary {
  return {
    workerId: 'worker-a',
    mode: 'thread',
    version: '0.1.0',
    hostname: 'ip-10-0-1-17',
    mainPid: 4100,
    startedAt: iso(120_000),
    lastHeartbeatAt: iso(2_000),
    status: 'ONLINE',
    capacity: 4,
    processes: [processSnapshot()],
    workflows: [
      { id: 'echo', name: 'Echo', timeoutSeconds: 30 },
      { id: 'cpu-spin', name: 'CPU spin', timeoutSeconds: 5 },
    ],
    health: 'online',
    heartbeatAgeMs: 2_000,
    ...overrides,
  };
}

export function workersResponse(workers: WorkerSummary[] = [workerSummary()]): WorkersResponse {
  return { workers, silentAfterMs: 300_000 };
}

export function queueResponse(overrides: Partial<QueueStatusResponse> = {}): QueueStatusResponse {
  return {
    queue: { url: 'http://sqs.local/q', visible: 0, inFlight: 0, delayed: 0 },
    deadLetter: { url: 'http://sqs.local/dlq', depth: 0 },
    tracked: { count: 0, executions: [] },
    untracked: 0,
    paused: [],
    ...overrides,
  };
}

export function blacklistEntry(overrides: Partial<BlacklistEntry> = {}): BlacklistEntry {
  return {
    workflowId: 'cpu-spin',
    reason: 'auto:stuck:12',
    blacklistedAt: iso(3_600_000),
    stuckCount: 12,
    ...overrides,
  };
}
