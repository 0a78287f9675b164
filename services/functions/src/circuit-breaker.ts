/**
 * The circuit-breaker sweep, run every minute by a schedule in AWS and by the local stack's
 * scheduler: blacklist every workflow stuck at least `threshold` times inside the window (after
 * its last counter reset), exactly once however often it runs, record as FAILED the executions
 * SQS moved to the dead-letter queue unseen (dead-letters.ts), and report the fleet's health.
 */
import {
  CIRCUIT_BREAKER_METRICS,
  autoReason,
  countStuck,
  decideTrips,
  iso,
  windowStart,
  type BlacklistEntry,
  type SystemConfig,
} from '@warden/core';
import { reconcileDeadLetters, type ReconciledExecution } from './dead-letters.js';
import type { ControlPlaneDeps } from './deps.js';
import { longDrainingProcesses, workerHealth, type LongDrainingProcess } from './fleet.js';
import { markLostWorkers, type LostWorker } from './lost-workers.js';
import { emfRecord, stdoutSink, type MetricsSink } from './metrics.js';

export interface SilentWorker {
  workerId: string;
  lastHeartbeatAt: string;
  silentForMs: number;
}

export interface FleetHealth {
  workers: { online: number; silent: number; offline: number; lost: number };
  /** Workers without a heartbeat for longer than WORKER_SILENT_AFTER_SECONDS (5 min). */
  silentWorkers: SilentWorker[];
  /** Processes DRAINING or PENDING_KILL for longer than DRAINING_ALARM_SECONDS (1 h). */
  longDraining: LongDrainingProcess[];
  /**
   * Stuck records inside the window per 100 finished executions queued inside it (null when
   * nothing finished). Both sides are fleet-wide and ignore counter resets.
   */
  stuckRate: { stuck: number; finished: number; percent: number | null };
  blacklisted: number;
}

export interface SweepResult {
  at: string;
  config: SystemConfig;
  windowStart: string;
  /** Stuck count per workflow inside the window, after each workflow's counter reset. */
  counts: { workflowId: string; count: number; lastStuckAt: string }[];
  /** Entries this sweep created. Empty when nothing crossed the threshold (or already had). */
  tripped: BlacklistEntry[];
  /** Executions this sweep failed (WorkerLost) because their message was in the dead-letter queue. */
  reconciled: ReconciledExecution[];
  /** Workers this sweep marked LOST (no heartbeat for WORKER_LOST_AFTER_SECONDS). */
  lost: LostWorker[];
  health: FleetHealth;
}

export interface SweepOptions {
  metrics?: MetricsSink;
}

export async function runSweep(
  deps: ControlPlaneDeps,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const { repos, logger } = deps;
  const config = await repos.systemConfig.get();
  const now = deps.clock();
  const since = windowStart(config, now);
  const [records, counterResets, active, workers, executionCounts] = await Promise.all([
    repos.stuck.listSince(since),
    repos.blacklist.counterResets(),
    repos.blacklist.listActive(),
    repos.workers.list(),
    repos.executions.countByStatusSince(since),
  ]);
  const alreadyBlacklisted = new Set(active.map((entry) => entry.workflowId));
  const trips = decideTrips({ records, counterResets, alreadyBlacklisted, config, now });

  const tripped: BlacklistEntry[] = [];
  for (const trip of trips) {
    // Conditional write: of two sweeps racing, exactly one creates the entry and announces it.
    const { created, entry } = await repos.blacklist.add({
      workflowId: trip.workflowId,
      reason: autoReason(trip.stuckCount),
      stuckCount: trip.stuckCount,
    });
    if (!created) continue;
    tripped.push(entry);
    logger.warn({ entry }, `circuit breaker blacklisted ${entry.workflowId}`);
    await deps.publisher.publish({ type: 'workflow_blacklisted', entry });
    try {
      await deps.notifier.workflowBlacklisted(entry);
    } catch (error) {
      // The blacklist entry stands; a lost notification must not undo or repeat it.
      logger.error({ err: error, workflowId: entry.workflowId }, 'could not notify admins');
    }
  }

  let reconciled: ReconciledExecution[] = [];
  try {
    reconciled = await reconcileDeadLetters(deps);
  } catch (error) {
    // Blacklisting and health must not wait on the dead-letter queue; the next sweep retries.
    logger.error({ err: error }, 'could not reconcile the dead-letter queue');
  }

  let lost: LostWorker[] = [];
  try {
    lost = await markLostWorkers(deps, workers, now);
  } catch (error) {
    // Health must still be reported; the next sweep marks them.
    logger.error({ err: error }, 'could not mark lost workers');
  }

  const silentWorkers: SilentWorker[] = [];
  const tally = { online: 0, silent: 0, offline: 0, lost: 0 };
  for (const worker of workers) {
    const health = workerHealth(worker, now, deps.config.silentWorkerMs);
    tally[health] += 1;
    if (health === 'silent') {
      silentWorkers.push({
        workerId: worker.workerId,
        lastHeartbeatAt: worker.lastHeartbeatAt,
        silentForMs: now - Date.parse(worker.lastHeartbeatAt),
      });
    }
  }
  const finished = executionCounts.SUCCESS + executionCounts.FAILED + executionCounts.CANCELLED;
  const health: FleetHealth = {
    workers: tally,
    silentWorkers,
    longDraining: longDrainingProcesses(workers, now, deps.config.drainingAlarmMs),
    stuckRate: {
      stuck: records.length,
      finished,
      percent: finished ? Math.round((records.length / finished) * 10_000) / 100 : null,
    },
    blacklisted: alreadyBlacklisted.size + tripped.length,
  };

  const counts = [...countStuck(records, counterResets, since)]
    .map(([workflowId, { count, last }]) => ({ workflowId, count, lastStuckAt: last }))
    .sort((a, b) => b.count - a.count || a.workflowId.localeCompare(b.workflowId));
  const result: SweepResult = {
    at: iso(now),
    config,
    windowStart: since,
    counts,
    tripped,
    reconciled,
    lost,
    health,
  };
  const emit = options.metrics ?? stdoutSink;
  emit(
    JSON.stringify(
      emfRecord(
        {
          [CIRCUIT_BREAKER_METRICS.circuitBreakerTrips]: { value: tripped.length, unit: 'Count' },
          [CIRCUIT_BREAKER_METRICS.workflowsBlacklisted]: {
            value: health.blacklisted,
            unit: 'Count',
          },
          [CIRCUIT_BREAKER_METRICS.silentWorkers]: { value: silentWorkers.length, unit: 'Count' },
          [CIRCUIT_BREAKER_METRICS.processesDrainingTooLong]: {
            value: health.longDraining.length,
            unit: 'Count',
          },
          [CIRCUIT_BREAKER_METRICS.stuckRatePercent]: {
            value: health.stuckRate.percent ?? 0,
            unit: 'Percent',
          },
        },
        now,
        {
          component: 'circuit-breaker',
          tripped: tripped.map((entry) => entry.workflowId),
          reconciled: reconciled.map((entry) => entry.executionId),
          lost: lost.map((entry) => entry.workerId),
        },
      ),
    ),
  );
  return result;
}
