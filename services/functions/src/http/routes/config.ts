/** /api/platform/config: the circuit breaker's threshold and window, validated on the way in. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConfigResponse } from '@warden/core';
import type { ControlPlaneDeps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import { validateBody } from '../validation.js';

const WINDOW_MAX = 7 * 24 * 60;
const updateSchema = z
  .object({
    stuck_circuit_breaker_threshold: z
      .number({ error: 'must be an integer from 1 to 1000' })
      .int('must be an integer from 1 to 1000')
      .min(1, 'must be an integer from 1 to 1000')
      .max(1000, 'must be an integer from 1 to 1000')
      .optional(),
    stuck_circuit_breaker_window_minutes: z
      .number({ error: `must be an integer number of minutes from 1 to ${WINDOW_MAX} (7 days)` })
      .int(`must be an integer number of minutes from 1 to ${WINDOW_MAX} (7 days)`)
      .min(1, `must be an integer number of minutes from 1 to ${WINDOW_MAX} (7 days)`)
      .max(WINDOW_MAX, `must be an integer number of minutes from 1 to ${WINDOW_MAX} (7 days)`)
      .optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, {
    message:
      'send at least one of stuck_circuit_breaker_threshold, stuck_circuit_breaker_window_minutes',
  });

export function configRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos } = deps;

  routes.get('/', async (c) => {
    const body: ConfigResponse = await repos.systemConfig.get();
    return c.json(body);
  });

  routes.put('/', async (c) => {
    const update = await validateBody(c, updateSchema);
    const current = await repos.systemConfig.get();
    const body: ConfigResponse = await repos.systemConfig.put(
      {
        stuck_circuit_breaker_threshold:
          update.stuck_circuit_breaker_threshold ?? current.stuck_circuit_breaker_threshold,
        stuck_circuit_breaker_window_minutes:
          update.stuck_circuit_breaker_window_minutes ??
          current.stuck_circuit_breaker_window_minutes,
      },
      c.get('principal').id,
    );
    deps.logger.info({ config: body }, 'circuit-breaker config changed');
    return c.json(body);
  });

  return routes;
}
