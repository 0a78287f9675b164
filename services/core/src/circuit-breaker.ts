/**
 * The circuit breaker's decision, as a pure function: which workflows have been stuck at least
 * `threshold` times inside the window, counting only records after their last counter reset.
 */
import type { StuckRecord, SystemConfig } from './domain.js';

export interface Trip {
  workflowId: string;
  stuckCount: number;
  lastStuckAt: string;
}

export interface TripInput {
  records: StuckRecord[];
  /** workflowId → ISO instant its stuck counter was reset (removal from the blacklist). */
  counterResets: ReadonlyMap<string, string>;
  /** Workflows already blacklisted: never tripped again. */
  alreadyBlacklisted: ReadonlySet<string>;
  config: SystemConfig;
  now: number;
}

export const windowStart = (config: SystemConfig, now: number): string =>
  new Date(now - config.stuck_circuit_breaker_window_minutes * 60_000).toISOString();

/** Counts stuck records per workflow inside the window and after each workflow's reset. */
export function countStuck(
  records: StuckRecord[],
  counterResets: ReadonlyMap<string, string>,
  sinceIso: string,
): Map<string, { count: number; last: string }> {
  const counts = new Map<string, { count: number; last: string }>();
  for (const record of records) {
    if (record.stuckAt < sinceIso) continue;
    const reset = counterResets.get(record.workflowId);
    if (reset && record.stuckAt <= reset) continue;
    const current = counts.get(record.workflowId) ?? { count: 0, last: record.stuckAt };
    current.count += 1;
    if (record.stuckAt > current.last) current.last = record.stuckAt;
    counts.set(record.workflowId, current);
  }
  return counts;
}

export function decideTrips(input: TripInput): Trip[] {
  const counts = countStuck(
    input.records,
    input.counterResets,
    windowStart(input.config, input.now),
  );
  const trips: Trip[] = [];
  for (const [workflowId, { count, last }] of counts) {
    if (
      count >= input.config.stuck_circuit_breaker_threshold &&
      !input.alreadyBlacklisted.has(workflowId)
    ) {
      trips.push({ workflowId, stuckCount: count, lastStuckAt: last });
    }
  }
  return trips.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

export const autoReason = (stuckCount: number): string => `auto:stuck:${stuckCount}`;
export const manualReason = (note: string): string => `manual:${note}`;
