/**
 * `npm start`'s workers: WARDEN_WORKERS (default 1) real worker processes running
 * `node services/worker/dist/main.js`, the entrypoint the ECS container runs. Each inherits the
 * environment (USE_THREAD_WORKERS, WORKFLOWS_DIR, CANCEL_GRACE_SECONDS, ...) with the local
 * stack's endpoints, tables and queues over it. Each runs in its own process group, so stopping
 * it can never leave a pool process or execution child behind.
 *
 * WARDEN_WORKER_MODES (`process,thread`) runs one worker per entry in that executor mode on the
 * same queue instead: a local canary beside its baseline, told apart by the banner and the
 * worker ids.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  createAwsClients,
  createRepositories,
  loadWorkerConfig,
  metricMode,
  WORKER_MODES,
  WORKER_NODE_FLAGS,
  type WorkerMode,
} from '@warden/core';
import type { Component, LocalContext } from './component.js';

const WORKER_MAIN = fileURLToPath(new URL('../../worker/dist/main.js', import.meta.url));
const MAX_WORKERS = 16;
const READY_TIMEOUT_MS = 60_000;
/** Time beyond the worker's own shutdown deadline before it is killed. */
const STOP_MARGIN_MS = 10_000;

interface RunningWorker {
  workerId: string;
  mode?: WorkerMode;
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  tail: string[];
}

export function workerCount(env: NodeJS.ProcessEnv): number {
  const raw = env.WARDEN_WORKERS;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > MAX_WORKERS) {
    throw new ConfigError([
      `WARDEN_WORKERS=${JSON.stringify(raw)} is not valid: expected an integer from 0 to ${MAX_WORKERS}`,
    ]);
  }
  return value;
}

/**
 * WARDEN_WORKER_MODES: one executor mode per worker to start, e.g. `process,thread`; undefined
 * when unset. WARDEN_WORKERS, if also set, must agree with the number of entries.
 */
export function workerModes(env: NodeJS.ProcessEnv): WorkerMode[] | undefined {
  const raw = env.WARDEN_WORKER_MODES;
  if (raw === undefined || raw.trim() === '') return undefined;
  const modes = raw.split(',').map((entry) => entry.trim());
  const bad = modes.filter((mode) => !(WORKER_MODES as readonly string[]).includes(mode));
  if (bad.length || modes.length > MAX_WORKERS) {
    throw new ConfigError([
      `WARDEN_WORKER_MODES=${JSON.stringify(raw)} is not valid: expected a comma-separated list of 1 to ${MAX_WORKERS} of "process" and "thread", e.g. "process,thread"`,
    ]);
  }
  const count = env.WARDEN_WORKERS;
  if (count !== undefined && count !== '' && Number(count) !== modes.length) {
    throw new ConfigError([
      `WARDEN_WORKERS=${JSON.stringify(count)} disagrees with WARDEN_WORKER_MODES=${JSON.stringify(raw)} (${modes.length} workers): set one of them`,
    ]);
  }
  return modes as WorkerMode[];
}

export async function startWorkers(context: LocalContext): Promise<Component | undefined> {
  const modes = workerModes(process.env);
  const count = modes?.length ?? workerCount(process.env);
  if (count === 0) return undefined;
  const env: NodeJS.ProcessEnv = {
    // Workflows get dummy keys of their own for the emulators, never the worker's (which reach
    // every table); a real deployment gives them a workflow role instead.
    WORKFLOW_AWS_ACCESS_KEY_ID: 'workflow-local',
    WORKFLOW_AWS_SECRET_ACCESS_KEY: 'workflow-local',
    ...process.env,
    ...context.env,
  };
  // The same validation the worker does, so a bad setting stops `npm start` with its message.
  const config = loadWorkerConfig(env);
  const mode = metricMode(config.useThreadWorkers);
  /** Each worker's environment and mode: WARDEN_WORKER_MODES sets USE_THREAD_WORKERS per worker. */
  const envFor = (n: number): { env: NodeJS.ProcessEnv; mode: WorkerMode } => {
    const own = modes?.[n - 1];
    if (!own) return { env, mode };
    return { env: { ...env, USE_THREAD_WORKERS: String(own === 'thread') }, mode: own };
  };
  // Each mode's settings are validated too (thread mode checks its pool settings).
  for (const own of new Set(modes)) {
    loadWorkerConfig({ ...env, USE_THREAD_WORKERS: String(own === 'thread') });
  }
  const logger = context.logger.child({ component: 'workers' });
  const clients = createAwsClients({ region: config.region });
  const repos = createRepositories(clients.dynamo, config.tables);
  const workers: RunningWorker[] = [];
  // CloudWatch metric lines (EMF) would scroll the console every heartbeat; they go to a file.
  const metricsFile = join(context.home, 'metrics.log');
  mkdirSync(context.home, { recursive: true });
  const metrics = createWriteStream(metricsFile, { flags: 'a' });
  metrics.on('error', (error) =>
    logger.warn({ err: error, file: metricsFile }, 'cannot write metric lines; they are dropped'),
  );

  const stopOne = async (worker: RunningWorker): Promise<void> => {
    const { child } = worker;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(
      () => {
        logger.warn({ workerId: worker.workerId }, 'worker did not stop in time; killing it');
        killGroup(worker.pid);
      },
      config.shutdownDeadlineMs + config.killCapMs + STOP_MARGIN_MS,
    );
    await worker.exited;
    clearTimeout(timer);
    // Anything it started and left behind goes with it.
    killGroup(worker.pid);
  };

  try {
    for (let n = 1; n <= count; n++) {
      const own = envFor(n);
      const base = config.workerId
        ? count > 1
          ? `${config.workerId}-${n}`
          : config.workerId
        : `local-${n}`;
      const workerId = modes ? `${base}-${own.mode}` : base;
      workers.push({ ...spawnWorker(workerId, own.env, metrics), mode: own.mode });
    }
    await Promise.all(workers.map((worker) => waitOnline(worker, repos)));
  } catch (error) {
    await Promise.all(workers.map(stopOne));
    clients.destroy();
    metrics.end();
    throw error;
  }
  clients.destroy();
  for (const worker of workers) {
    void worker.exited.then(() => {
      const { exitCode, signalCode } = worker.child;
      if (exitCode !== 0) {
        logger.error(
          { workerId: worker.workerId, exitCode, signalCode },
          'worker exited; it is not restarted',
        );
      }
    });
  }

  return {
    name: 'workers',
    banner: [
      modes
        ? `  Workers    ${count}, by WARDEN_WORKER_MODES: ${workers.map((w) => `${w.workerId} (${w.mode === 'thread' ? 'canary: thread' : 'baseline: process'} mode, pid ${w.pid})`).join(', ')}`
        : `  Workers    ${count} × ${mode} mode: ${workers.map((w) => `${w.workerId} (pid ${w.pid})`).join(', ')}`,
      `  Metrics    ${metricsFile}  (the workers' CloudWatch EMF lines)`,
    ],
    outputs: {
      Workers: workers.map((w) => ({ workerId: w.workerId, pid: w.pid, mode: w.mode ?? mode })),
    },
    stop: async () => {
      await Promise.all(workers.map(stopOne));
      await new Promise<void>((resolve) => metrics.end(resolve));
    },
  };
}

/** An Embedded Metric Format line: what CloudWatch turns into metrics in AWS. */
const isMetricLine = (line: string): boolean => line.startsWith('{"_aws":');

function spawnWorker(
  workerId: string,
  env: NodeJS.ProcessEnv,
  metrics: WriteStream,
): RunningWorker {
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_MAIN], {
    env: { ...env, WORKER_ID: workerId, WARDEN_PARENT_PID: String(process.pid) },
    // The IPC channel tells the worker if this process dies, so it stops instead of lingering.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (isMetricLine(line)) metrics.write(`${line}\n`);
      else process.stdout.write(`[${workerId}] ${line}\n`);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { workerId, child, pid: child.pid ?? -1, exited, tail };
}

async function waitOnline(
  worker: RunningWorker,
  repos: ReturnType<typeof createRepositories>,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
      throw new Error(
        `worker ${worker.workerId} exited during start-up (code ${worker.child.exitCode}):\n${worker.tail.join('\n')}`,
      );
    }
    const record = await repos.workers.get(worker.workerId).catch(() => undefined);
    if (record?.status === 'ONLINE' && record.mainPid === worker.pid) return;
    if (Date.now() > deadline) {
      throw new Error(
        `worker ${worker.workerId} did not come online within ${READY_TIMEOUT_MS / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function killGroup(pid: number): void {
  if (pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}
