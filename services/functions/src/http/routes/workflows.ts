/** /api/workflows: the catalog the registered workers announced, with blacklist and pause flags. */
import { Hono } from 'hono';
import type { WorkflowsResponse } from '@warden/core';
import { pausedWorkflows } from '../../controls.js';
import type { ControlPlaneDeps } from '../../deps.js';
import { workflowCatalog } from '../../fleet.js';
import type { AppEnv } from '../env.js';

export function workflowRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    const [workers, active, paused] = await Promise.all([
      deps.repos.workers.list(),
      deps.repos.blacklist.listActive(),
      pausedWorkflows(deps),
    ]);
    const pauses = new Map(paused.map((pause) => [pause.workflowId, pause]));
    const body: WorkflowsResponse = {
      workflows: workflowCatalog(workers, new Set(active.map((entry) => entry.workflowId))).map(
        (workflow) => {
          const pause = pauses.get(workflow.id);
          return pause ? { ...workflow, paused: pause } : workflow;
        },
      ),
    };
    return c.json(body);
  });

  return routes;
}
