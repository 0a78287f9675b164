/** /api/platform/stuck-history?hours=N: stuck executions per workflow over the last N hours. */
import { Hono } from 'hono';
import { z } from 'zod';
import { iso, type StuckHistoryResponse, type StuckWorkflowSummary } from '@warden/core';
import type { ControlPlaneDeps } from '../../deps.js';
import { workflowCatalog } from '../../fleet.js';
import type { AppEnv } from '../env.js';
import { validateQuery } from '../validation.js';

/** Stuck records are kept 14 days. */
const MAX_HOURS = 14 * 24;
const MAX_RECORDS = 200;

const querySchema = z.object({
  hours: z.coerce
    .number({ error: `must be a number of hours from 1 to ${MAX_HOURS}` })
    .min(1, `must be a number of hours from 1 to ${MAX_HOURS}`)
    .max(MAX_HOURS, `must be a number of hours from 1 to ${MAX_HOURS} (records are kept 14 days)`)
    .default(24),
});

export function stuckRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos } = deps;

  routes.get('/', async (c) => {
    const { hours } = validateQuery(c, querySchema);
    const since = iso(deps.clock() - hours * 3600_000);
    const [records, active, workers] = await Promise.all([
      repos.stuck.listSince(since),
      repos.blacklist.listActive(),
      repos.workers.list(),
    ]);
    const blacklisted = new Set(active.map((entry) => entry.workflowId));
    const names = new Map(workflowCatalog(workers, blacklisted).map((w) => [w.id, w.name]));
    const perWorkflow = new Map<string, StuckWorkflowSummary>();
    for (const record of records) {
      const summary = perWorkflow.get(record.workflowId) ?? {
        workflowId: record.workflowId,
        workflowName: names.get(record.workflowId) ?? record.workflowId,
        count: 0,
        lastStuckAt: record.stuckAt,
        blacklisted: blacklisted.has(record.workflowId),
      };
      summary.count += 1;
      if (record.stuckAt > summary.lastStuckAt) summary.lastStuckAt = record.stuckAt;
      perWorkflow.set(record.workflowId, summary);
    }
    const body: StuckHistoryResponse = {
      hours,
      since,
      total: records.length,
      workflows: [...perWorkflow.values()].sort(
        (a, b) => b.count - a.count || b.lastStuckAt.localeCompare(a.lastStuckAt),
      ),
      records: records
        .slice()
        .sort((a, b) => b.stuckAt.localeCompare(a.stuckAt))
        .slice(0, MAX_RECORDS),
    };
    return c.json(body);
  });

  return routes;
}
