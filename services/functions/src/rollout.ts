/**
 * Reads what the rollout comparison needs from DynamoDB — per mode, the executions that finished
 * in the window (the sparse byModeFinished index, time slices in parallel) and the workers'
 * samples, plus the stuck records around the window — and hands it to core's pure statistics.
 */
import {
  ROLLOUT_MAX_EXECUTIONS_PER_MODE,
  WORKER_MODES,
  computeRollout,
  iso,
  type Clock,
  type FinishedWindowPage,
  type Repositories,
  type RolloutReport,
  type WorkerMode,
  type WorkerSample,
} from '@warden/core';

/** A stuck record is written moments before its execution's FAILED record; this covers it. */
const STUCK_RECORD_LEAD_MS = 3600_000;

export async function readRollout(
  repos: Pick<Repositories, 'executions' | 'samples' | 'stuck'>,
  clock: Clock,
  minutes: number,
  options: { cap?: number; segments?: number } = {},
): Promise<RolloutReport> {
  const toMs = clock();
  const fromMs = toMs - minutes * 60_000;
  const from = iso(fromMs);
  const to = iso(toMs);
  const cap = options.cap ?? ROLLOUT_MAX_EXECUTIONS_PER_MODE;
  const perMode = async (
    mode: WorkerMode,
  ): Promise<[WorkerMode, FinishedWindowPage, WorkerSample[]]> => {
    const [page, samples] = await Promise.all([
      repos.executions.listFinished(mode, from, to, { cap, segments: options.segments }),
      repos.samples.list(mode, from, to),
    ]);
    return [mode, page, samples];
  };
  const [read, stuck] = await Promise.all([
    Promise.all(WORKER_MODES.map(perMode)),
    repos.stuck.listSince(iso(fromMs - STUCK_RECORD_LEAD_MS)),
  ]);
  const executions = Object.fromEntries(read.map(([mode, page]) => [mode, page.items]));
  const samples = Object.fromEntries(read.map(([mode, , rows]) => [mode, rows]));
  return computeRollout({
    from,
    to,
    minutes,
    truncated: read.some(([, page]) => page.truncated),
    executions: executions as Record<WorkerMode, FinishedWindowPage['items']>,
    samples: samples as Record<WorkerMode, WorkerSample[]>,
    stuckRecorded: new Set(stuck.map((record) => record.executionId)),
  });
}
