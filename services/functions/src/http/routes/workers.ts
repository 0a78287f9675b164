/**
 * /api/platform/workers: the fleet, a worker's detail, recycling a process, stopping a worker,
 * dismissing a lost (or offline) one.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type {
  DismissWorkerResponse,
  RecycleResponse,
  StopWorkerResponse,
  WorkerDetailResponse,
  WorkersResponse,
} from '@warden/core';
import type { ControlPlaneDeps } from '../../deps.js';
import { summarizeWorker } from '../../fleet.js';
import { StopRefusedError } from '../../worker-stopper.js';
import type { AppEnv } from '../env.js';
import { conflict, notFound } from '../errors.js';
import { jsonBody, validate, validateParam } from '../validation.js';

const workerIdSchema = z.string().min(1).max(128);
const pidSchema = z.coerce
  .number({ error: 'must be a process id (a positive integer)' })
  .int('must be a process id (a positive integer)')
  .positive('must be a process id (a positive integer)');
const recycleSchema = z
  .object({
    generation: z
      .number({ error: 'is required: the generation of the process you mean (an integer ≥ 0)' })
      .int('must be an integer ≥ 0')
      .min(0, 'must be an integer ≥ 0'),
  })
  .strict();
const stopSchema = z
  .object({ force: z.boolean({ error: 'must be true or false' }).optional() })
  .strict();

export function workerRoutes(deps: ControlPlaneDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { repos, config } = deps;

  const loadWorker = async (raw: string) => {
    const workerId = validateParam('workerId', workerIdSchema, raw);
    const worker = await repos.workers.get(workerId);
    if (!worker) {
      throw notFound(
        'WORKER_NOT_FOUND',
        `No worker ${workerId} has registered in the last day: list workers with GET /api/platform/workers`,
      );
    }
    return worker;
  };

  routes.get('/', async (c) => {
    const now = deps.clock();
    const workers = await repos.workers.list();
    const body: WorkersResponse = {
      workers: workers.map((worker) => summarizeWorker(worker, now, config.silentWorkerMs)),
      silentAfterMs: config.silentWorkerMs,
    };
    return c.json(body);
  });

  routes.get('/:workerId', async (c) => {
    const worker = await loadWorker(c.req.param('workerId'));
    const body: WorkerDetailResponse = {
      worker: summarizeWorker(worker, deps.clock(), config.silentWorkerMs),
      pendingCommands: await repos.commands.listPending(worker.workerId),
    };
    return c.json(body);
  });

  routes.post('/:workerId/processes/:pid/recycle', async (c) => {
    const pid = validateParam('pid', pidSchema, c.req.param('pid'));
    const { generation } = validate(recycleSchema, await jsonBody(c), 'request body');
    const worker = await loadWorker(c.req.param('workerId'));
    if (worker.status === 'OFFLINE') {
      throw conflict('WORKER_OFFLINE', `Worker ${worker.workerId} is offline: nothing to recycle`);
    }
    const process = worker.processes.find((p) => p.pid === pid);
    if (!process) {
      const known = worker.processes
        .map((p) => `${p.pid} (generation ${p.generation}, ${p.state})`)
        .join(', ');
      throw notFound(
        'PROCESS_NOT_FOUND',
        `Worker ${worker.workerId} has no process ${pid}; its processes are: ${known || 'none'}`,
      );
    }
    if (process.generation !== generation) {
      throw conflict(
        'STALE_GENERATION',
        `Process ${pid} on ${worker.workerId} is generation ${process.generation}, not ${generation}: it was replaced since you looked. Refresh and check it is the one you mean`,
        'generation',
      );
    }
    if (process.state === 'EXITING') {
      throw conflict(
        'PROCESS_EXITING',
        `Process ${pid} on ${worker.workerId} is already exiting; its replacement takes new work`,
      );
    }
    const { command, created } = await repos.commands.createRecycle({
      workerId: worker.workerId,
      pid,
      generation,
      requestedBy: c.get('principal').id,
    });
    deps.logger.info({ command, created }, 'recycle requested');
    const body: RecycleResponse = { command, created };
    return c.json(body, 202);
  });

  routes.post('/:workerId/stop', async (c) => {
    const { force } = validate(stopSchema, await jsonBody(c, {}), 'request body');
    const worker = await loadWorker(c.req.param('workerId'));
    const summary = summarizeWorker(worker, deps.clock(), config.silentWorkerMs);
    if (summary.health === 'offline') {
      throw conflict('WORKER_OFFLINE', `Worker ${worker.workerId} is already offline`);
    }
    if (summary.health === 'online' && !force) {
      throw conflict(
        'WORKER_NOT_SILENT',
        `Worker ${worker.workerId} sent a heartbeat ${Math.round(summary.heartbeatAgeMs / 1000)} s ago: stopping is for silent workers. Recycle its processes instead, or send {"force": true}`,
      );
    }
    const principal = c.get('principal');
    let target: string;
    try {
      target = await deps.stopper.stop(worker, `Stopped by ${principal.id} from the Warden admin`);
    } catch (error) {
      if (error instanceof StopRefusedError) throw conflict('STOP_REFUSED', error.message);
      throw error;
    }
    await repos.workers.setStatus(worker.workerId, 'STOPPING');
    deps.logger.warn({ workerId: worker.workerId, target, by: principal.id }, 'worker stopped');
    const body: StopWorkerResponse = { workerId: worker.workerId, target };
    return c.json(body, 202);
  });

  routes.delete('/:workerId', async (c) => {
    const worker = await loadWorker(c.req.param('workerId'));
    if (worker.status !== 'LOST' && worker.status !== 'OFFLINE') {
      throw conflict(
        'WORKER_NOT_LOST',
        `Worker ${worker.workerId} is ${worker.status}: only a LOST or OFFLINE worker can be dismissed. Stop it first (POST /api/platform/workers/${worker.workerId}/stop)`,
      );
    }
    // Conditional: a worker that beat again since the read is not removed.
    if (!(await repos.workers.dismiss(worker.workerId))) {
      throw conflict(
        'WORKER_NOT_LOST',
        `Worker ${worker.workerId} changed while it was being dismissed (it may be back online): refresh and look again`,
      );
    }
    const principal = c.get('principal');
    await deps.publisher.publish({
      type: 'worker_dismissed',
      workerId: worker.workerId,
      dismissedBy: principal.id,
    });
    deps.logger.info({ workerId: worker.workerId, by: principal.id }, 'worker dismissed');
    const body: DismissWorkerResponse = { workerId: worker.workerId, dismissed: true };
    return c.json(body);
  });

  return routes;
}
