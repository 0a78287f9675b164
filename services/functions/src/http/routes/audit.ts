/** /api/platform/audit: the audit trail, newest first, filtered and paged. Read-only by design. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditListResponse } from '@warden/core';
import type { ControlPlaneDeps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import { badRequest } from '../errors.js';
import { validateQuery } from '../validation.js';

const instant = (name: string) =>
  z.iso.datetime({
    offset: true,
    error: `must be an ISO-8601 instant such as 2026-01-31T08:00:00Z (${name})`,
  });
const text = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `must not be empty (${what})`)
    .max(256, 'must be at most 256 characters');

const querySchema = z
  .object({
    actor: text('who acted').optional(),
    action: z
      .string()
      .regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, 'must be <resource>.<verb>, such as workflow.pause')
      .optional(),
    target: text('what was acted on').optional(),
    from: instant('at or after').optional(),
    to: instant('before').optional(),
    limit: z.coerce
      .number({ error: 'must be an integer from 1 to 200' })
      .int('must be an integer from 1 to 200')
      .min(1, 'must be an integer from 1 to 200')
      .max(200, 'must be an integer from 1 to 200')
      .default(50),
    cursor: z.string().min(1).max(1000).optional(),
  })
  .strict();

const normalize = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : new Date(value).toISOString();

export function auditRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    const query = validateQuery(c, querySchema);
    const from = normalize(query.from);
    const to = normalize(query.to);
    if (from && to && from >= to) throw badRequest('from must be earlier than to', 'from');
    try {
      const body: AuditListResponse = await deps.repos.audit.list({ ...query, from, to });
      return c.json(body);
    } catch (error) {
      if (error instanceof RangeError) {
        throw badRequest(
          `cursor: ${error.message}; pass nextCursor from the previous page`,
          'cursor',
        );
      }
      throw error;
    }
  });

  return routes;
}
