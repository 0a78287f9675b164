/**
 * Lost workers, part of the circuit-breaker sweep. A worker that dies without SIGTERM (kill -9,
 * a host gone) never writes OFFLINE: left alone it would stay "silent" for the day its row lives,
 * holding the silent-worker alarm in ALARM (so the next incident raises nothing) and, through its
 * last snapshot, possibly the draining alarm. After WORKER_LOST_AFTER_SECONDS without a heartbeat
 * the sweep marks it LOST (a conditional write, so two sweeps mark it once) and publishes
 * worker_lost; on that sweep and every later one while the row is there, the RUNNING executions
 * under its expired leases are reconciled: recorded FAILED (WorkerLost), or, when the workflow in
 * the lost worker's catalog is idempotent with attempts left, left for their message to come back
 * and run as the next attempt (as the worker itself retries a WorkerLost of such a workflow).
 */
import { retriesAfter, type WorkerRecord } from '@warden/core';
import type { ControlPlaneDeps } from './deps.js';
import { workersToMarkLost } from './fleet.js';

export interface LostWorker {
  workerId: string;
  lastHeartbeatAt: string;
  /** Executions recorded FAILED (WorkerLost) because their lease died with the worker. */
  failedExecutions: string[];
  /**
   * Executions of idempotent workflows left RUNNING under their expired lease: their message comes
   * back after its visibility timeout and the next claim runs them as the next attempt (or SQS
   * dead-letters it, and the dead-letter reconciliation records them FAILED).
   */
  retriedExecutions: string[];
}

export function lostWorkerMessage(workerId: string, lastHeartbeatAt: string): string {
  return `Worker ${workerId} stopped sending heartbeats at ${lastHeartbeatAt} and was marked lost while running this execution; it is not retried, as it may have had effects. Submit it again if it is safe to run twice.`;
}

/**
 * Reconciles the executions whose lease a LOST worker held and let expire: FAILED, unless the
 * workflow may run again (see `retriesAfter`). A lease can outlive the mark when
 * WORKER_LOST_AFTER_SECONDS is shorter than the visibility timeout, so this runs on every sweep;
 * each write is conditional on the lease read, so a worker that claimed the execution again
 * meanwhile keeps it.
 */
async function reconcileExpiredLeases(
  deps: ControlPlaneDeps,
  worker: WorkerRecord,
  now: number,
): Promise<{ failedExecutions: string[]; retriedExecutions: string[] }> {
  const { repos, publisher } = deps;
  const failedExecutions: string[] = [];
  const retriedExecutions: string[] = [];
  for (const record of await repos.executions.listExpiredLeasesOf(worker.workerId, now)) {
    // The lost worker's own catalog says what it ran: the policy the attempt started under.
    const workflow = worker.workflows.find((w) => w.id === record.workflowId);
    if (workflow && retriesAfter(workflow, record.attempt ?? 1, 'WorkerLost')) {
      // Left RUNNING under the expired lease, which the next delivery of its message may claim.
      retriedExecutions.push(record.executionId);
      continue;
    }
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
  return { failedExecutions, retriedExecutions };
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
    const { failedExecutions, retriedExecutions } = await reconcileExpiredLeases(deps, worker, now);
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
      {
        workerId: worker.workerId,
        lastHeartbeatAt: worker.lastHeartbeatAt,
        failedExecutions,
        retriedExecutions,
      },
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
      retriedExecutions,
    });
  }
  return lost;
}
