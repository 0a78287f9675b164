/** /api/platform/rollout?minutes=N: thread mode (canary) against process mode (baseline). */
import { Hono } from 'hono';
import { z } from 'zod';
import { ROLLOUT_DEFAULT_MINUTES, ROLLOUT_MAX_MINUTES, type RolloutResponse } from '@warden/core';
import type { ControlPlaneDeps } from '../../deps.js';
import { readRollout } from '../../rollout.js';
import type { AppEnv } from '../env.js';
import { validateQuery } from '../validation.js';

const RANGE = `must be a whole number of minutes from 1 to ${ROLLOUT_MAX_MINUTES}`;

const querySchema = z
  .object({
    minutes: z.coerce
      .number({ error: RANGE })
      .int(RANGE)
      .min(1, RANGE)
      .max(ROLLOUT_MAX_MINUTES, `${RANGE} (the longest window the comparison reads: one day)`)
      .default(ROLLOUT_DEFAULT_MINUTES),
  })
  .strict();

export function rolloutRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/', async (c) => {
    const { minutes } = validateQuery(c, querySchema);
    const body: RolloutResponse = await readRollout(deps.repos, deps.clock, minutes);
    return c.json(body);
  });
  return routes;
}
