/** /api/platform/blacklist: the active entries and their history; manual add and removal. */
import { Hono } from 'hono';
import { z } from 'zod';
import { manualReason, type BlacklistEntryResponse, type BlacklistResponse } from '@warden/core';
import { idSchema } from '@warden/core/schemas';
import type { ControlPlaneDeps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import { conflict, notFound } from '../errors.js';
import { validateBody, validateParam, validateQuery } from '../validation.js';

const querySchema = z.object({
  include: z
    .enum(['removed'], { error: 'accepts only "removed" (adds the removed entries)' })
    .optional(),
});

const addSchema = z
  .object({
    workflowId: z.string({ error: 'is required: the workflow to blacklist' }).pipe(idSchema),
    reason: z
      .string({ error: 'is required: say why the workflow is blacklisted (1-500 characters)' })
      .trim()
      .min(1, 'is required: say why the workflow is blacklisted (1-500 characters)')
      .max(500, 'must be at most 500 characters'),
  })
  .strict();

export function blacklistRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos } = deps;

  routes.get('/', async (c) => {
    const { include } = validateQuery(c, querySchema);
    const [entries, history] = await Promise.all([
      repos.blacklist.listActive(),
      include === 'removed' ? repos.blacklist.listHistory() : undefined,
    ]);
    const body: BlacklistResponse = { entries, ...(history ? { history } : {}) };
    return c.json(body);
  });

  routes.post('/', async (c) => {
    const { workflowId, reason } = await validateBody(c, addSchema);
    const { created, entry } = await repos.blacklist.add({
      workflowId,
      reason: manualReason(reason),
      blacklistedBy: c.get('principal').id,
    });
    if (!created) {
      throw conflict(
        'ALREADY_BLACKLISTED',
        `Workflow ${workflowId} is already blacklisted (${entry.reason}, since ${entry.blacklistedAt})`,
        'workflowId',
      );
    }
    await deps.publisher.publish({ type: 'workflow_blacklisted', entry });
    const body: BlacklistEntryResponse = { entry };
    return c.json(body, 201);
  });

  routes.delete('/:workflowId', async (c) => {
    const workflowId = validateParam('workflowId', idSchema, c.req.param('workflowId'));
    const removedBy = c.get('principal').id;
    const entry = await repos.blacklist.remove(workflowId, removedBy);
    if (!entry) {
      throw notFound('NOT_BLACKLISTED', `Workflow ${workflowId} is not blacklisted`);
    }
    await deps.publisher.publish({ type: 'workflow_unblacklisted', workflowId, removedBy });
    const body: BlacklistEntryResponse = { entry };
    return c.json(body);
  });

  return routes;
}
