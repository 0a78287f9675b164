/** /api/platform/workflows: pause and resume a workflow, and list the paused ones. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { PauseResponse, PausesResponse } from '@warden/core';
import { idSchema } from '@warden/core/schemas';
import { pausedWorkflows } from '../../controls.js';
import type { ControlPlaneDeps } from '../../deps.js';
import { workflowCatalog } from '../../fleet.js';
import type { AppEnv } from '../env.js';
import { ApiError, conflict, notFound } from '../errors.js';
import { validateBody, validateParam } from '../validation.js';

const pauseSchema = z
  .object({
    reason: z
      .string({ error: 'is required: say why the workflow is paused (1-500 characters)' })
      .trim()
      .min(1, 'is required: say why the workflow is paused (1-500 characters)')
      .max(500, 'must be at most 500 characters'),
  })
  .strict();

export function pauseRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos } = deps;

  routes.get('/paused', async (c) => {
    const body: PausesResponse = { paused: await pausedWorkflows(deps) };
    return c.json(body);
  });

  routes.post('/:workflowId/pause', async (c) => {
    const workflowId = validateParam('workflowId', idSchema, c.req.param('workflowId'));
    const { reason } = await validateBody(c, pauseSchema);
    const catalog = workflowCatalog(await repos.workers.list(), new Set());
    if (!catalog.some((workflow) => workflow.id === workflowId)) {
      throw new ApiError(
        404,
        'UNKNOWN_WORKFLOW',
        `Unknown workflow "${workflowId}": no registered worker offers it. Known workflows: ${catalog.map((w) => w.id).join(', ') || 'none'}`,
      );
    }
    const { created, pause } = await repos.pauses.pause(workflowId, reason, c.get('principal').id);
    if (!created) {
      throw conflict(
        'ALREADY_PAUSED',
        `Workflow ${workflowId} is already paused (by ${pause.pausedBy} since ${pause.pausedAt}: ${pause.reason})`,
      );
    }
    const body: PauseResponse = {
      pause: { ...pause, waiting: await repos.executions.countQueued(workflowId) },
    };
    return c.json(body, 201);
  });

  routes.post('/:workflowId/resume', async (c) => {
    const workflowId = validateParam('workflowId', idSchema, c.req.param('workflowId'));
    const pause = await repos.pauses.resume(workflowId);
    if (!pause) throw notFound('NOT_PAUSED', `Workflow ${workflowId} is not paused`);
    const body: PauseResponse = {
      pause: { ...pause, waiting: await repos.executions.countQueued(workflowId) },
    };
    return c.json(body);
  });

  return routes;
}
