/** /api/me: who the token belongs to and its role, so the admin app can show what it may do. */
import { Hono } from 'hono';
import type { MeResponse } from '@warden/core';
import { roleOf } from '../../auth.js';
import type { ControlPlaneDeps } from '../../deps.js';
import type { AppEnv } from '../env.js';

export function meRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', (c) => {
    const principal = c.get('principal');
    const role = roleOf(principal);
    const body: MeResponse = {
      id: principal.id,
      role,
      ...(role === 'admin'
        ? {}
        : {
            readOnlyReason: `${principal.id} has the viewer role: actions need the admin role (group ${deps.config.adminGroup})`,
          }),
    };
    return c.json(body);
  });

  return routes;
}
