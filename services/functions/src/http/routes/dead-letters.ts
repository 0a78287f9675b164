/** /api/platform/dead-letters: list, redrive and delete dead-lettered work messages. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { DeadLettersResponse, DeleteDeadLettersResponse, RedriveResponse } from '@warden/core';
import {
  deleteDeadLetters,
  listDeadLetters,
  redriveDeadLetters,
} from '../../dead-letter-actions.js';
import type { ControlPlaneDeps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import { badRequest } from '../errors.js';
import { validateBody } from '../validation.js';

const messageIds = z
  .array(z.string().min(1, 'must not hold an empty id').max(200), {
    error: 'must be a list of SQS message ids',
  })
  .min(1, 'must name at least one message')
  .max(500, 'must name at most 500 messages');

const redriveSchema = z
  .object({
    messageIds: messageIds.optional(),
    all: z.literal(true, { error: 'must be true (redrive everything) when given' }).optional(),
  })
  .strict();

const deleteSchema = z.object({ messageIds }).strict();

export function deadLetterRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    const body: DeadLettersResponse = await listDeadLetters(deps);
    return c.json(body);
  });

  routes.post('/redrive', async (c) => {
    const request = await validateBody(c, redriveSchema);
    if (!request.messageIds === !request.all) {
      throw badRequest(
        'Invalid request body: messageIds: send either "messageIds": [...] or "all": true, not both and not neither',
        'messageIds',
      );
    }
    const body: RedriveResponse = await redriveDeadLetters(deps, request.messageIds ?? 'all');
    return c.json(body);
  });

  routes.post('/delete', async (c) => {
    const request = await validateBody(c, deleteSchema);
    const body: DeleteDeadLettersResponse = await deleteDeadLetters(deps, request.messageIds);
    return c.json(body);
  });

  return routes;
}
