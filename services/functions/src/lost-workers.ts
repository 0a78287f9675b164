/**
 * Lost workers, part of the circuit-breaker sweep. A worker that dies without SIGTERM (kill -9,
 * a host gone) never writes OFFLINE: left alone it would stay "silent" for the day its row lives,
 * holding the silent-worker alarm in ALARM (so the next incident raises nothing) and, through its
 * last snapshot, possibly the draining alarm. After WORKER_LOST_AFTER_SECONDS without a heartbeat
 * the sweep marks it LOST (a conditional write, so two sweeps mark it once) and publishes
 * worker_lost; on that sweep and every later one while the row is there, the RUNNING executions
 * under its expired leases are recorded FAILED (WorkerLost).
 */
import type { WorkerRecord } from '@warden/core';
import type { ControlPlaneDeps } from './deps.js';
import { workersToMarkLost } from './fleet.js';

export interface LostWorker {
  workerId: string;
  lastHeartbeatAt: string;
  /** Executions recorded FAILED (WorkerLost) because their lease died with the worker. */
  failedExecutions: string[];
}

export function lostWorkerMessage(workerId: string, lastHeartbeatAt: string): string {
  return `Worker ${workerId} stopped sending heartbeats at ${lastHeartbeatAt} and was marked lost while running this execution; it is not retried, as it may have had effects. Submit it again if it is safe to run twice.`;
}

/**
 * Records FAILED the executions whose lease a LOST worker held and let expire. A lease can outlive
 * the mark when WORKER_LOST_AFTER_SECONDS is shorter than the visibility timeout, so this runs on
 * every sweep; each write is conditional on the lease read, so a worker that claimed the
 * execution again meanwhile keeps it.
 */
async function failExpiredLeases(
  deps: ControlPlaneDeps,
  worker: WorkerRecord,
  now: number,
): Promise<string[]> {
  const { repos, publisher } = deps;
  const failedExecutions: string[] = [];
  for (const record of await repos.executions.listExpiredLeasesOf(worker.workerId, now)) {
    // Workflows carry no "safe to retry" flag yet, so every one is failed rather than re-run.
    const failed = await repos.executions.failLost(
      record.executionId,
      worker.workerId,
      record.leaseExpiresAt!,
      lostWorkerMessage(worker.workerId, worker.lastHeartbeatAt),
    );
    if (!failed) continue;
    failedExecutions.push(record.executionId);
    await publisher.publish({
      type: 'execution_finished',
      executionId: record.executionId,
      workflowId: failed.workflowId,
      workerId: worker.workerId,
      status: 'FAILED',
      errorType: 'WorkerLost',
      ...(failed.durationMs !== undefined ? { durationMs: failed.durationMs } : {}),
    });
  }
  return failedExecutions;
}

/**
 * Marks LOST every worker silent for longer than `config.lostWorkerMs` and reconciles the
 * executions of every LOST worker. Returns the workers this sweep marked; `workers` is updated in
 * place so the rest of the sweep counts them as lost.
 */
export async function markLostWorkers(
  deps: ControlPlaneDeps,
  workers: WorkerRecord[],
  now: number,
): Promise<LostWorker[]> {
  const { repos, logger, publisher } = deps;
  const lost: LostWorker[] = [];
  const marked = new Set<string>();
  for (const worker of workersToMarkLost(workers, now, deps.config.lostWorkerMs)) {
    if (!(await repos.workers.markLost(worker.workerId, worker.lastHeartbeatAt))) continue;
    worker.status = 'LOST';
    worker.processes = [];
    marked.add(worker.workerId);
  }
  for (const worker of workers) {
    if (worker.status !== 'LOST') continue;
    const failedExecutions = await failExpiredLeases(deps, worker, now);
    if (!marked.has(worker.workerId)) {
      if (failedExecutions.length) {
        logger.warn(
          { workerId: worker.workerId, failedExecutions },
          `leases of lost worker ${worker.workerId} expired; recorded their executions FAILED (WorkerLost)`,
        );
      }
      continue;
    }
    logger.warn(
      { workerId: worker.workerId, lastHeartbeatAt: worker.lastHeartbeatAt, failedExecutions },
      `worker ${worker.workerId} sent no heartbeat since ${worker.lastHeartbeatAt}; marked it LOST`,
    );
    await publisher.publish({
      type: 'worker_lost',
      workerId: worker.workerId,
      lastHeartbeatAt: worker.lastHeartbeatAt,
      failedExecutions,
    });
    lost.push({
      workerId: worker.workerId,
      lastHeartbeatAt: worker.lastHeartbeatAt,
      failedExecutions,
    });
  }
  return lost;
}
