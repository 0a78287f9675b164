/**
 * Memory per execution as a container pays it: the worker image (`npm run image`, the samples
 * baked in) run with podman as ECS runs it, one container at a time, in each executor mode at the
 * default settings with only WORKER_MAX_CONCURRENCY set, against `npm start`'s emulators.
 *
 *   npm run bench:container          # about 6 minutes once the base image is cached
 *
 * The host benchmark (`npm run bench`) splits the Node binary's pages with every Node process on
 * the machine; a container's processes share them only with each other, so this is the figure a
 * Fargate task's memory follows. Printed per mode and concurrency, while `concurrency` sdk-io
 * executions await (busy) and 15 s later (settled):
 * - PSS summed over the container's processes (read from the host's /proc);
 * - the container's memory cgroup as `docker stats` / `podman stats` show it (usage less inactive
 *   file cache), which is what the rollout plan's "per-worker container memory" check reads.
 *
 * Needs root, podman with runc and debootstrap, as the container test does. Figures only: it
 * asserts nothing but that every execution was placed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ensureQueues } from '@warden/core';
import {
  ROOT,
  killLocalPlatforms,
  startLocalPlatform,
  type LocalOutputs,
} from '../test/support/local-platform.js';
import { waitFor } from '../test/support/wait.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { median } from './lib/stats.js';
import { sampleBusyAndSettled, sendSdkIo } from './lib/memory-sampling.js';
import { readTreeMemory } from './lib/tree-memory.js';

const CONCURRENCIES = [4, 16];
const MODES = ['thread', 'process'] as const;
type Mode = (typeof MODES)[number];
const MB = 1024 * 1024;

const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: join(ROOT, 'test/container/containers.conf'),
  WARDEN_CONTAINER_ENGINE: 'podman',
};
const podman = (...args: string[]): string =>
  execFileSync('podman', args, { env: podmanEnv, encoding: 'utf8' }).trim();

function sh(label: string, command: string, args: string[]): string {
  const out = spawnSync(command, args, { cwd: ROOT, env: podmanEnv, encoding: 'utf8' });
  if (out.status !== 0) {
    throw new Error(`${label} failed (exit ${out.status}):\n${(out.stderr ?? '').slice(-3000)}`);
  }
  return out.stdout.trim();
}

/** The container's memory cgroup, as `docker stats` reports it: usage less inactive file cache. */
function cgroupMemoryMb(pid: number): number {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v2 = lines.find((line) => line.startsWith('0::'));
  const v1 = lines.find((line) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(line));
  const stat = (dir: string): Map<string, number> =>
    new Map(
      readFileSync(join(dir, 'memory.stat'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [key, value] = line.split(' ');
          return [key!, Number(value)] as const;
        }),
    );
  if (v1) {
    const dir = join('/sys/fs/cgroup/memory', v1.split(':')[2]!);
    const usage = Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8'));
    return (usage - (stat(dir).get('total_inactive_file') ?? 0)) / MB;
  }
  if (v2) {
    const dir = join('/sys/fs/cgroup', v2.slice(3));
    const usage = Number(readFileSync(join(dir, 'memory.current'), 'utf8'));
    return (usage - (stat(dir).get('inactive_file') ?? 0)) / MB;
  }
  throw new Error(`no memory cgroup for pid ${pid}`);
}

/**
 * Drops the host's clean page cache, so the image's files (the Node binary first) are read again
 * by, and charged to, the container that starts next, as on a fresh Fargate task. Without it the
 * cgroup figure leaves out whatever an earlier container or the image build read first. Root only.
 */
function dropPageCache(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

let cacheDropped = true;

interface Sample {
  pssMb: number;
  cgroupMb: number;
  processes: number;
}

function sample(pid: number): Sample {
  const tree = readTreeMemory(pid);
  return { pssMb: tree.pssMb, cgroupMb: cgroupMemoryMb(pid), processes: tree.processes.length };
}

function medianSample(samples: Sample[]): Sample {
  return {
    pssMb: median(samples.map((s) => s.pssMb)),
    cgroupMb: median(samples.map((s) => s.cgroupMb)),
    processes: samples.at(-1)!.processes,
  };
}

interface Run {
  mode: Mode;
  concurrency: number;
  idle: Sample;
  busy: Sample;
  settled: Sample;
}

async function measure(
  image: string,
  outputs: LocalOutputs,
  mode: Mode,
  concurrency: number,
): Promise<Run> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const sqs = new SQSClient({
    region: outputs.Region,
    endpoint: outputs.AwsEndpoints.sqs,
    credentials,
    useQueueUrlAsEndpoint: false,
  });
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: outputs.Region,
      endpoint: outputs.AwsEndpoints.dynamodb,
      credentials,
    }),
  );
  // A queue per run: the executions left holding when a container is removed must not reach the
  // next one.
  const queues = await ensureQueues(sqs, `bench-container-${mode}-${concurrency}-${Date.now()}`);
  const workerId = `bench-${mode}-${concurrency}`;
  const name = `warden-bench-${mode}-${concurrency}-${process.pid}`;
  const env = {
    ...outputs.WorkerEnvironment,
    WARDEN_QUEUE_URL: queues.queueUrl,
    WARDEN_DLQ_URL: queues.deadLetterQueueUrl,
    USE_THREAD_WORKERS: String(mode === 'thread'),
    WORKER_MAX_CONCURRENCY: String(concurrency),
    WORKER_ID: workerId,
    LOG_LEVEL: 'warn',
  };
  cacheDropped = dropPageCache() && cacheDropped;
  podman(
    'run',
    '--detach',
    '--name',
    name,
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--network',
    'host',
    ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    image,
  );
  try {
    const pid = Number(podman('inspect', '--format', '{{.State.Pid}}', name));
    await waitFor(
      () => `worker ${workerId} to come online (logs: ${podman('logs', name).slice(-1500)})`,
      async () => {
        const { Item } = await dynamo.send(
          new GetCommand({ TableName: outputs.Tables.Workers, Key: { workerId } }),
        );
        return Item?.status === 'ONLINE';
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await sleep(1000);
    const idle = sample(pid);
    const ids = Array.from({ length: concurrency }, (_, i) => `${workerId}-${Date.now()}-${i}`);
    await sendSdkIo(sqs, queues.queueUrl, ids, 120_000, 180);
    await waitFor(
      `${concurrency} sdk-io executions to be placed (${mode})`,
      async () => {
        for (const executionId of ids) {
          const { Item } = await dynamo.send(
            new GetCommand({ TableName: outputs.Tables.Executions, Key: { executionId } }),
          );
          if (Item?.pid === undefined) return false;
        }
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    const { busy, settled } = await sampleBusyAndSettled(() => sample(pid));
    return {
      mode,
      concurrency,
      idle,
      busy: medianSample(busy),
      settled: medianSample(settled),
    };
  } finally {
    podman('rm', '--force', '--time', '0', name);
    sqs.destroy();
    dynamo.destroy();
  }
}

const pct = (a: number, b: number): string => `${Math.round((a / b) * 100)} %`;
const mb = (value: number): string => `${value.toFixed(1)} MB`;

function render(runs: Run[]): string[] {
  const lines = [
    '| concurrency | mode | processes | PSS idle → busy | **PSS / execution, busy** | PSS / execution, settled | container memory (`podman stats`) / execution, busy | settled |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const run of runs) {
    const c = run.concurrency;
    lines.push(
      `| ${c} | ${run.mode} | ${run.busy.processes} | ${mb(run.idle.pssMb)} → ${mb(run.busy.pssMb)} | **${mb(run.busy.pssMb / c)}** | ${mb(run.settled.pssMb / c)} | ${mb(run.busy.cgroupMb / c)} | ${mb(run.settled.cgroupMb / c)} |`,
    );
  }
  lines.push('');
  for (const c of CONCURRENCIES) {
    const thread = runs.find((r) => r.mode === 'thread' && r.concurrency === c)!;
    const proc = runs.find((r) => r.mode === 'process' && r.concurrency === c)!;
    lines.push(
      `concurrency ${c}: thread mode costs, of process mode, by PSS ${pct(thread.busy.pssMb, proc.busy.pssMb)} busy and ${pct(thread.settled.pssMb, proc.settled.pssMb)} settled; by container memory ${pct(thread.busy.cgroupMb, proc.busy.cgroupMb)} busy and ${pct(thread.settled.cgroupMb, proc.settled.cgroupMb)} settled (target: at most 50 %)`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (message: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${message}\n`);
  };
  log('stand-in base image');
  const base = sh('the stand-in base image', 'bash', ['test/container/stand-in-base.sh'])
    .split('\n')
    .at(-1)!;
  const image = `localhost/warden-worker:bench-${process.pid}`;
  log('npm run image');
  sh('npm run image', 'npm', ['run', 'image', '--', '--base', base, '--tag', image]);
  try {
    log('npm start (no worker of its own)');
    const { outputs } = await startLocalPlatform('bench-container', {
      WARDEN_WORKERS: '0',
      USE_THREAD_WORKERS: undefined,
      WORKFLOWS_DIR: undefined,
      LOG_LEVEL: 'warn',
    });
    const runs: Run[] = [];
    for (const concurrency of CONCURRENCIES) {
      for (const mode of MODES) {
        log(`${mode} mode, concurrency ${concurrency}`);
        runs.push(await measure(image, outputs, mode, concurrency));
      }
    }
    const machine = describeMachine();
    console.log(
      [
        `Warden container memory benchmark — ${new Date().toISOString()}`,
        machineLine(machine),
        '',
        'Memory per execution, sdk-io, the worker image run with podman, one container at a time, every setting at its default but WORKER_MAX_CONCURRENCY',
        '',
        ...render(runs),
        '',
        cacheDropped
          ? 'The page cache was dropped before each container started: each was charged for the files it read.'
          : 'The page cache could not be dropped (not root): the container memory column leaves out files an earlier container or the image build read first.',
      ].join('\n'),
    );
  } finally {
    await killLocalPlatforms();
    podman('rmi', '--force', '--ignore', image);
  }
}

await main();
