/**
 * `npm run bench:executors`: process mode and thread mode side by side, in one run, on this
 * machine. Drives the executors directly (no SQS in the measured path) and prints:
 *
 *   - memory per concurrent execution (PSS, and RSS and USS labelled) at concurrency 4 and 16,
 *     running `sdk-io` (loads the AWS SDK, makes a DynamoDB call, then awaits I/O);
 *   - warm dispatch latency p50/p99 (dispatch → the workflow's first line runs);
 *   - no-op throughput;
 *   - start-up: executor ready, first execution, and a real worker from spawn to ONLINE.
 *
 * It prints figures; it asserts nothing. Options: --quick (fewer samples).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import {
  createAwsClients,
  createLogger,
  createRepositories,
  ensureQueues,
  ensureTables,
  loadSharedConfig,
  type Logger,
} from '@warden/core';
import { startEmulators } from '@warden/local/emulators';
import {
  createExecutor,
  loadWorkflowCatalog,
  readMemoryDetail,
  type ExecutionOutcome,
  type Executor,
  type ExecutorOptions,
  type WorkflowCatalog,
  workflowEnvironment,
} from '@warden/worker';
import { SAMPLES_DIR } from '@warden/workflows';

const quick = process.argv.includes('--quick');
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ExecutorConfig {
  label: string;
  thread: boolean;
  threads: number;
  perThread: number;
  concurrency: number;
}

let sequence = 0;
const nextId = (prefix: string): string => `${prefix}-${++sequence}`;

function makeExecutor(config: ExecutorConfig, catalog: WorkflowCatalog, logger: Logger): Executor {
  const options: ExecutorOptions = {
    catalog,
    logger,
    maxConcurrency: config.concurrency,
    cancelGraceMs: 10_000,
    killCapMs: 2000,
    threadMaxHeapMb: 256,
    threadPoolSize: config.threads,
    executionsPerThread: config.perThread,
    maxExecutionsPerProcess: 10_000_000,
    maxProcessMemoryMb: 65_536,
    // sdk-io calls the emulator: runners get the workflow credentials the local stack gives.
    runnerEnv: () =>
      workflowEnvironment(process.env, [], {
        accessKeyId: 'workflow-local',
        secretAccessKey: 'workflow-local',
      }),
  };
  return createExecutor(config.thread, options);
}

async function run(
  executor: Executor,
  workflowId: string,
  input: unknown,
  onStarted?: () => void,
): Promise<ExecutionOutcome> {
  const outcome = await executor.execute(
    { executionId: nextId(workflowId), workflowId, input, attempt: 1, timeoutMs: 120_000 },
    { onStarted, onStuck: async () => {} },
  );
  if (outcome.status !== 'SUCCESS') {
    throw new Error(`${workflowId} ended ${outcome.status}: ${JSON.stringify(outcome)}`);
  }
  return outcome;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const fmt = (value: number, digits = 1): string => value.toFixed(digits);

interface MemoryResult {
  config: ExecutorConfig;
  processes: number;
  pss: number;
  rss: number;
  uss: number;
  idlePss: number;
}

/** Starts `concurrency` sdk-io executions, waits until all are inside their I/O wait, samples. */
async function measureMemory(
  config: ExecutorConfig,
  catalog: WorkflowCatalog,
  logger: Logger,
): Promise<MemoryResult> {
  const executor = makeExecutor(config, catalog, logger);
  await executor.start();
  await sleep(500);
  const idlePss = executor
    .snapshot()
    .reduce((sum, p) => sum + (readMemoryDetail(p.pid)?.pssMb ?? 0), 0);
  // One short run first proves the workflow reaches DynamoDB, so the I/O being modelled is real.
  const probe = await run(executor, 'sdk-io', { holdMs: 0 });
  if (probe.status !== 'SUCCESS' || !(probe.output as { tables?: number }).tables) {
    throw new Error('sdk-io did not reach DynamoDB; the measurement would not be fair');
  }
  let started = 0;
  const holdMs = 30_000;
  const runs = Array.from({ length: config.concurrency }, () =>
    executor.execute(
      {
        executionId: nextId('sdk-io'),
        workflowId: 'sdk-io',
        input: { holdMs },
        attempt: 1,
        timeoutMs: 120_000,
      },
      { onStarted: () => started++, onStuck: async () => {} },
    ),
  );
  while (started < config.concurrency) await sleep(20);
  // Loading the SDK and making the call take a moment (longer on a busy machine): sample until
  // the total stops growing, then keep the median of the last three samples.
  const sample = () => {
    const details = executor.snapshot().map((p) => readMemoryDetail(p.pid));
    return {
      processes: details.length,
      pss: details.reduce((sum, d) => sum + (d?.pssMb ?? 0), 0),
      rss: details.reduce((sum, d) => sum + (d?.rssMb ?? 0), 0),
      uss: details.reduce((sum, d) => sum + (d?.ussMb ?? 0), 0),
    };
  };
  const samples: ReturnType<typeof sample>[] = [];
  const since = Date.now();
  for (;;) {
    await sleep(500);
    samples.push(sample());
    const [a, b, c] = samples.slice(-3);
    const steady = a && b && c && Math.abs(c.pss - a.pss) / c.pss < 0.01;
    if ((steady && Date.now() - since > 2500) || Date.now() - since > holdMs - 3000) break;
  }
  samples.splice(0, samples.length - 3);
  // Measured; the executions need not run out their hold.
  await executor.stop();
  const outcomes = await Promise.all(runs);
  if (outcomes.some((o) => o.status !== 'ABANDONED')) {
    throw new Error(`an sdk-io execution ended early: ${JSON.stringify(outcomes)}`);
  }
  const median = (key: 'pss' | 'rss' | 'uss') =>
    percentile(
      samples.map((s) => s[key]),
      50,
    );
  return {
    config,
    processes: samples[0]!.processes,
    pss: median('pss'),
    rss: median('rss'),
    uss: median('uss'),
    idlePss,
  };
}

interface SpeedResult {
  config: ExecutorConfig;
  readyMs: number;
  firstMs: number;
  dispatchP50: number;
  dispatchP99: number;
  throughput: number;
  throughputRuns: number;
}

async function measureSpeed(
  config: ExecutorConfig,
  catalog: WorkflowCatalog,
  logger: Logger,
): Promise<SpeedResult> {
  const executor = makeExecutor(config, catalog, logger);
  const t0 = now();
  await executor.start();
  const readyMs = now() - t0;
  await run(executor, 'noop', {});
  const firstMs = now() - t0;
  // Warm dispatch, one at a time: from execute() to the workflow's first line.
  const latencies: number[] = [];
  const samples = config.thread ? (quick ? 200 : 1000) : quick ? 20 : 60;
  for (let i = 0; i < samples; i++) {
    const sent = now();
    const outcome = await run(executor, 'noop', {});
    latencies.push(
      (outcome.status === 'SUCCESS' ? (outcome.output as { startedAt: number }).startedAt : 0) -
        sent,
    );
  }
  // Throughput: keep every slot busy with no-ops for a fixed number of runs.
  const total = config.thread ? (quick ? 2000 : 10_000) : quick ? 40 : 120;
  let issued = 0;
  const t1 = now();
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (issued < total) {
        issued++;
        await run(executor, 'noop', {});
      }
    }),
  );
  const seconds = (now() - t1) / 1000;
  await executor.stop();
  return {
    config,
    readyMs,
    firstMs,
    dispatchP50: percentile(latencies, 50),
    dispatchP99: percentile(latencies, 99),
    throughput: total / seconds,
    throughputRuns: total,
  };
}

interface WorkerStartResult {
  mode: string;
  onlineMs: number;
  orchestratorPss: number;
  orchestratorRss: number;
}

/** A real worker process, spawn → registered ONLINE, and its main process's memory when idle. */
async function measureWorkerStart(
  thread: boolean,
  env: Record<string, string>,
  repos: ReturnType<typeof createRepositories>,
): Promise<WorkerStartResult> {
  const workerId = `bench-${thread ? 'thread' : 'process'}-${Date.now()}`;
  const t0 = now();
  const child = spawn(process.execPath, ['services/worker/dist/main.js'], {
    env: {
      ...process.env,
      ...env,
      WORKER_ID: workerId,
      USE_THREAD_WORKERS: String(thread),
      WORKER_POLL_WAIT_SECONDS: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      const record = await repos.workers.get(workerId);
      if (record?.status === 'ONLINE') break;
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
      await sleep(10);
    }
    const onlineMs = now() - t0;
    await sleep(2000);
    const memory = readMemoryDetail(child.pid!);
    return {
      mode: thread ? 'thread' : 'process',
      onlineMs,
      orchestratorPss: memory?.pssMb ?? NaN,
      orchestratorRss: memory?.rssMb ?? NaN,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function main(): Promise<void> {
  const logger = createLogger('bench', 'warn');
  const emulators = await startEmulators();
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodb.url,
    AWS_ENDPOINT_URL_SQS: emulators.sqs.url,
    WARDEN_TABLE_PREFIX: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(process.env, env);
  const shared = loadSharedConfig(process.env);
  const clients = createAwsClients({ region: shared.region });
  await ensureTables(clients.dynamoRaw, shared.tables);
  const queues = await ensureQueues(clients.sqs, 'bench');
  env.WARDEN_QUEUE_URL = queues.queueUrl;
  env.WARDEN_DLQ_URL = queues.deadLetterQueueUrl;
  const repos = createRepositories(clients.dynamo, shared.tables);
  const catalog = await loadWorkflowCatalog(SAMPLES_DIR);

  const vcpus = cpus().length;
  const memoryConfigs: ExecutorConfig[] = [4, 16].flatMap((concurrency) => [
    { label: 'process', thread: false, threads: 0, perThread: 1, concurrency },
    {
      label: 'thread, one execution per thread',
      thread: true,
      threads: concurrency,
      perThread: 1,
      concurrency,
    },
    {
      label: 'thread, one thread per vCPU (recommended for I/O-bound work)',
      thread: true,
      threads: vcpus,
      perThread: Math.ceil(concurrency / vcpus),
      concurrency,
    },
    {
      label: 'thread, one thread',
      thread: true,
      threads: 1,
      perThread: concurrency,
      concurrency,
    },
  ]);
  const speedConfigs: ExecutorConfig[] = [
    { label: 'process', thread: false, threads: 0, perThread: 1, concurrency: 4 },
    { label: 'thread, 4 threads × 1', thread: true, threads: 4, perThread: 1, concurrency: 4 },
  ];

  const loadBefore = loadavg();
  const memory: MemoryResult[] = [];
  for (const config of memoryConfigs) {
    process.stderr.write(`memory: ${config.label} at concurrency ${config.concurrency}…\n`);
    memory.push(await measureMemory(config, catalog, logger));
  }
  const speed: SpeedResult[] = [];
  for (const config of speedConfigs) {
    process.stderr.write(`speed: ${config.label}…\n`);
    speed.push(await measureSpeed(config, catalog, logger));
  }
  const workers: WorkerStartResult[] = [];
  for (const thread of [false, true]) {
    process.stderr.write(`worker start-up: ${thread ? 'thread' : 'process'}…\n`);
    workers.push(await measureWorkerStart(thread, env, repos));
  }
  clients.destroy();
  await emulators.stop();

  const lines: string[] = [];
  const cpu = cpus();
  lines.push(
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Node ${process.version}`,
  );
  lines.push(
    `Load average (1 min) at start ${fmt(loadBefore[0]!, 2)}, at end ${fmt(loadavg()[0]!, 2)}${quick ? ' (--quick)' : ''}`,
  );
  lines.push('');
  lines.push(
    'Memory per concurrent execution, sdk-io (AWS SDK loaded, one DynamoDB call, awaiting I/O)',
  );
  lines.push('executor processes only (the orchestrator is the same in both modes; see start-up)');
  lines.push('');
  lines.push(
    '| concurrency | executor | processes | PSS total MB | PSS / execution | RSS / execution (labelled, overcounts shared) | USS / execution | idle PSS MB |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const m of memory) {
    const c = m.config.concurrency;
    lines.push(
      `| ${c} | ${m.config.label}${m.config.thread ? ` (${m.config.threads}×${m.config.perThread})` : ''} | ${m.processes} | ${fmt(m.pss)} | **${fmt(m.pss / c)}** | ${fmt(m.rss / c)} | ${fmt(m.uss / c)} | ${fmt(m.idlePss)} |`,
    );
  }
  lines.push('');
  const orchestrator = (thread: boolean) =>
    workers.find((w) => w.mode === (thread ? 'thread' : 'process'))!.orchestratorPss;
  lines.push(
    '| concurrency | executor | thread / process, PSS per execution | whole worker (orchestrator + executor) PSS per execution |',
  );
  lines.push('|---|---|---|---|');
  for (const c of [4, 16]) {
    const base = memory.find((m) => !m.config.thread && m.config.concurrency === c)!;
    for (const m of memory.filter((x) => x.config.concurrency === c)) {
      const whole = (m.pss + orchestrator(m.config.thread)) / c;
      lines.push(
        `| ${c} | ${m.config.label} | ${m.config.thread ? `${fmt((100 * m.pss) / base.pss, 0)} %` : '(baseline)'} | ${fmt(whole)} MB${m.config.thread ? ` (${fmt((100 * whole * c) / (base.pss + orchestrator(false)), 0)} %)` : ''} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    '| executor | ready | first no-op done | warm dispatch p50 | p99 | no-op throughput (concurrency 4) |',
  );
  lines.push('|---|---|---|---|---|---|');
  for (const s of speed) {
    lines.push(
      `| ${s.config.label} | ${fmt(s.readyMs, 0)} ms | ${fmt(s.firstMs, 0)} ms | ${fmt(s.dispatchP50, 2)} ms | ${fmt(s.dispatchP99, 2)} ms | ${fmt(s.throughput, 0)} /s (${s.throughputRuns} runs) |`,
    );
  }
  const [p, t] = speed;
  lines.push('');
  lines.push(`thread / process no-op throughput: ${fmt(t!.throughput / p!.throughput, 0)}×`);
  lines.push('');
  lines.push(
    '| worker (real process) | spawn → ONLINE in the Workers table | orchestrator PSS idle | RSS (labelled) |',
  );
  lines.push('|---|---|---|---|');
  for (const w of workers) {
    lines.push(
      `| ${w.mode} | ${fmt(w.onlineMs, 0)} ms | ${fmt(w.orchestratorPss)} MB | ${fmt(w.orchestratorRss)} MB |`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

await main();
