/** /api/workflows: the catalog the registered workers announced, with blacklist flags. */
import { Hono } from 'hono';
import type { WorkflowsResponse } from '@warden/core';
import type { ControlPlaneDeps } from '../../deps.js';
import { workflowCatalog } from '../../fleet.js';
import type { AppEnv } from '../env.js';

export function workflowRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    const [workers, active] = await Promise.all([
      deps.repos.workers.list(),
      deps.repos.blacklist.listActive(),
    ]);
    const body: WorkflowsResponse = {
      workflows: workflowCatalog(workers, new Set(active.map((entry) => entry.workflowId))),
    };
    return c.json(body);
  });

  return routes;
}
