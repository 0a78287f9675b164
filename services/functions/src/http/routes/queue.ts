/** /api/platform/queue: what waits in SQS, what a submission tracked, what came in raw. */
import { GetQueueAttributesCommand, type QueueAttributeName } from '@aws-sdk/client-sqs';
import { Hono } from 'hono';
import { z } from 'zod';
import type { QueueStatusResponse } from '@warden/core';
import { pausedWorkflows } from '../../controls.js';
import type { ControlPlaneDeps } from '../../deps.js';
import { workflowCatalog } from '../../fleet.js';
import type { AppEnv } from '../env.js';
import { validateQuery } from '../validation.js';

const querySchema = z.object({
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 500' })
    .int('must be an integer from 1 to 500')
    .min(1, 'must be an integer from 1 to 500')
    .max(500, 'must be an integer from 1 to 500')
    .default(100),
});

export function queueRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos, config, sqs } = deps;

  const attributes = async (url: string, names: QueueAttributeName[]) => {
    const result = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }),
    );
    const read = (name: QueueAttributeName) => Number(result.Attributes?.[name] ?? 0) || 0;
    return read;
  };

  routes.get('/', async (c) => {
    const { limit } = validateQuery(c, querySchema);
    const [queue, deadLetter, tracked, counts, workers, paused] = await Promise.all([
      attributes(config.queueUrl, [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ]),
      attributes(config.deadLetterQueueUrl, ['ApproximateNumberOfMessages']),
      repos.executions.list({ status: 'QUEUED', limit }),
      repos.executions.countByStatusSince('0000', ['QUEUED']),
      repos.workers.list(),
      pausedWorkflows(deps),
    ]);
    const names = new Map(workflowCatalog(workers, new Set()).map((w) => [w.id, w.name]));
    const now = deps.clock();
    const visible = queue('ApproximateNumberOfMessages');
    const delayed = queue('ApproximateNumberOfMessagesDelayed');
    const body: QueueStatusResponse = {
      queue: {
        url: config.queueUrl,
        visible,
        inFlight: queue('ApproximateNumberOfMessagesNotVisible'),
        delayed,
      },
      deadLetter: {
        url: config.deadLetterQueueUrl,
        depth: deadLetter('ApproximateNumberOfMessages'),
      },
      tracked: {
        count: counts.QUEUED,
        executions: tracked.items.map((execution) => ({
          executionId: execution.executionId,
          workflowId: execution.workflowId,
          workflowName: names.get(execution.workflowId) ?? execution.workflowId,
          queuedAt: execution.queuedAt,
          ageMs: Math.max(0, now - Date.parse(execution.queuedAt)),
        })),
      },
      // A QUEUED record stands for a message not yet picked up (visible or delayed).
      untracked: Math.max(0, visible + delayed - counts.QUEUED),
      paused,
    };
    return c.json(body);
  });

  return routes;
}
