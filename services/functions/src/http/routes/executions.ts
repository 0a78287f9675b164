/**
 * /api/executions: submit, read one, list with filters and a cursor; cancel and rerun one, or many
 * by filter (with a dry run that counts first).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import {
  ERROR_TYPES,
  EXECUTION_STATUSES,
  type BulkActionResponse,
  type CancelResponse,
  type ExecutionListResponse,
  type ExecutionResponse,
} from '@warden/core';
import { idSchema, workMessageSchema } from '@warden/core/schemas';
import { bulkAct, cancelExecution, rerunExecution } from '../../controls.js';
import type { ControlPlaneDeps } from '../../deps.js';
import { submitExecution } from '../../submit.js';
import type { AppEnv } from '../env.js';
import { badRequest, notFound } from '../errors.js';
import { jsonBody, validate, validateBody, validateParam, validateQuery } from '../validation.js';

/** What a caller may submit: the worker alone sets `attempt` and `notBefore` on its re-sends. */
const submitSchema = workMessageSchema.omit({ attempt: true, notBefore: true });

const rerunSchema = z.object({ executionId: idSchema.optional() }).strict();

const dryRun = z.boolean({ error: 'must be true (count only) or false (act)' }).default(false);

const bulkCancelSchema = z
  .object({
    workflowId: idSchema.optional(),
    status: z
      .enum(['QUEUED', 'RUNNING'], { error: 'must be QUEUED or RUNNING (both when absent)' })
      .optional(),
    from: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant' }).optional(),
    dryRun,
  })
  .strict();

const bulkRerunSchema = z
  .object({
    workflowId: idSchema.optional(),
    errorType: z
      .enum(ERROR_TYPES, { error: `must be one of ${ERROR_TYPES.join(', ')}` })
      .optional(),
    from: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant' }).optional(),
    dryRun,
  })
  .strict();

const instant = (name: string) =>
  z.iso.datetime({
    offset: true,
    error: `must be an ISO-8601 instant such as 2026-01-31T08:00:00Z (${name})`,
  });

const listSchema = z.object({
  workflowId: idSchema.optional(),
  status: z
    .enum(EXECUTION_STATUSES, { error: `must be one of ${EXECUTION_STATUSES.join(', ')}` })
    .optional(),
  q: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
      'must be an execution id or its start: 1-128 letters, digits, ".", "_", ":" or "-"',
    )
    .optional(),
  errorType: z.enum(ERROR_TYPES, { error: `must be one of ${ERROR_TYPES.join(', ')}` }).optional(),
  workerId: z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .optional(),
  from: instant('queued at or after').optional(),
  to: instant('queued before').optional(),
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 200' })
    .int('must be an integer from 1 to 200')
    .min(1, 'must be an integer from 1 to 200')
    .max(200, 'must be an integer from 1 to 200')
    .default(50),
  cursor: z.string().min(1).max(400).optional(),
});

const normalize = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : new Date(value).toISOString();

export function executionRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos } = deps;

  routes.post('/', async (c) => {
    const message = await validateBody(c, submitSchema);
    const execution = await submitExecution(deps, message, c.get('principal').id);
    c.header('Location', `/api/executions/${encodeURIComponent(execution.executionId)}`);
    const body: ExecutionResponse = { execution };
    return c.json(body, 202);
  });

  routes.post('/bulk-cancel', async (c) => {
    const filter = await validateBody(c, bulkCancelSchema);
    const from = normalize(filter.from);
    const to = normalize(filter.to);
    if (from && to && from >= to) throw badRequest('from must be earlier than to', 'from');
    const by = c.get('principal').id;
    const body: BulkActionResponse = await bulkAct(
      deps,
      {
        workflowId: filter.workflowId,
        statuses: filter.status ? [filter.status] : ['QUEUED', 'RUNNING'],
        from,
        to,
      },
      filter.dryRun,
      async (record) => ({
        outcome: (await cancelExecution(deps, record.executionId, by)).outcome,
      }),
    );
    return c.json(body);
  });

  routes.post('/bulk-rerun', async (c) => {
    const filter = await validateBody(c, bulkRerunSchema);
    const from = normalize(filter.from);
    const to = normalize(filter.to);
    if (from && to && from >= to) throw badRequest('from must be earlier than to', 'from');
    const by = c.get('principal').id;
    const body: BulkActionResponse = await bulkAct(
      deps,
      {
        workflowId: filter.workflowId,
        statuses: ['FAILED'],
        errorType: filter.errorType,
        from,
        to,
      },
      filter.dryRun,
      async (record) => ({
        outcome: 'QUEUED',
        newExecutionId: (await rerunExecution(deps, record.executionId, by)).executionId,
      }),
    );
    return c.json(body);
  });

  routes.post('/:executionId/cancel', async (c) => {
    const executionId = validateParam('executionId', idSchema, c.req.param('executionId'));
    const body: CancelResponse = await cancelExecution(deps, executionId, c.get('principal').id);
    return c.json(body, body.outcome === 'CANCELLED' ? 200 : 202);
  });

  routes.post('/:executionId/rerun', async (c) => {
    const executionId = validateParam('executionId', idSchema, c.req.param('executionId'));
    const options = validate(rerunSchema, await jsonBody(c, {}), 'request body');
    const execution = await rerunExecution(
      deps,
      executionId,
      c.get('principal').id,
      options.executionId,
    );
    c.header('Location', `/api/executions/${encodeURIComponent(execution.executionId)}`);
    const body: ExecutionResponse = { execution };
    return c.json(body, 202);
  });

  routes.get('/:executionId', async (c) => {
    const executionId = validateParam('executionId', idSchema, c.req.param('executionId'));
    const execution = await repos.executions.get(executionId);
    if (!execution) {
      throw notFound(
        'EXECUTION_NOT_FOUND',
        `No execution ${executionId} (records are kept 30 days)`,
      );
    }
    const body: ExecutionResponse = { execution };
    return c.json(body);
  });

  routes.get('/', async (c) => {
    const query = validateQuery(c, listSchema);
    const from = normalize(query.from);
    const to = normalize(query.to);
    if (from && to && from >= to) throw badRequest('from must be earlier than to', 'from');
    try {
      const page = await repos.executions.list({ ...query, from, to });
      const body: ExecutionListResponse = page;
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
