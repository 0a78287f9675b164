/**
 * `npm run bench`: Warden end to end on the local stack — the embedded emulators, real worker
 * processes (the entrypoint ECS runs), the admin API and the WebSocket gateway — thread mode and
 * process mode side by side in one run. Prints a table and writes bench/results/latest.json.
 *
 * Measured per mode:
 *   - throughput end to end (message sent → terminal record) and of the executor alone;
 *   - queue time (sent → claimed) and dispatch latency (claimed → workflow code running), p50/p99,
 *     with messages paced so no backlog forms;
 *   - memory per execution by PSS of the worker's whole process tree at concurrency 1, 4 and 16;
 *   - stuck detection latency (timeout → ExecutionStuck record);
 *   - recycle time (command → the replacement runs an execution);
 *   - worker start-up (spawn → registered ONLINE);
 *   - event latency (state change → WebSocket client), p50/p99;
 * and once: circuit-breaker trip latency (threshold-reaching stuck record → client told).
 *
 * Options: --quick (fewer samples, for a smoke run). Figures only; it asserts nothing but that
 * every execution ended the way the measurement needs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import {
  createLogger,
  ensureQueues,
  type ExecutionRecord,
  type WardenEvent,
  type WorkerDetailResponse,
} from '@warden/core';
import { createExecutor, loadWorkflowCatalog, type Executor } from '@warden/worker';
import { SAMPLES_DIR } from '@warden/workflows';
import { readRecords, waitForAllTerminal } from '../test/support/accounting.js';
import { startControlPlane, type EventListener } from '../test/support/control-plane.js';
import { startTestStack, type TestStack } from '../test/support/stack.js';
import { waitFor } from '../test/support/wait.js';
import {
  killAllWorkers,
  newExecutionId,
  startWorker,
  submit,
  waitForTerminal,
  type Mode,
  type WorkerProcess,
} from '../test/support/worker-process.js';
import { ownCpuMs, treeCpuMs } from './lib/cpu.js';
import { currentLoad, describeMachine, machineLine, type Machine } from './lib/machine.js';
import { median, summarize, type Summary } from './lib/stats.js';
import { SETTLE_MS, sampleBusyAndSettled, sendSdkIo } from './lib/memory-sampling.js';
import { readTreeMemory } from './lib/tree-memory.js';
import {
  measureYoungGeneration,
  renderYoungGeneration,
  type YoungGenerationRun,
} from './lib/young-generation.js';

const QUICK = process.argv.includes('--quick');
/** Only the memory table and the collateral scenario (a few minutes less). */
const MEMORY_ONLY = process.argv.includes('--memory');
const MODES: Mode[] = ['thread', 'process'];
const CONCURRENCIES = [1, 4, 16];
/** WORKER_EXECUTIONS_PER_THREAD's default. */
const DEFAULT_PER_THREAD = 8;
const GRACE_S = 1;
const STUCK_TIMEOUT_S = 1;
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/**
 * Worker settings: production defaults except where a figure needs a short timing (stated in the
 * report). A 2 s long poll still returns the moment a message arrives; it only bounds how long a
 * stopping worker waits.
 */
const BENCH_WORKER_ENV: Record<string, string> = {
  CANCEL_GRACE_SECONDS: String(GRACE_S),
  WORKER_HEARTBEAT_INTERVAL_SECONDS: '2',
  WORKER_COMMAND_POLL_SECONDS: '1',
  WORKER_KILL_CAP_SECONDS: '1',
  WORKER_VISIBILITY_TIMEOUT_SECONDS: '30',
  WORKER_POLL_WAIT_SECONDS: '2',
  BLACKLIST_CACHE_SECONDS: '5',
  WORKER_SHUTDOWN_DEADLINE_SECONDS: '20',
  LOG_LEVEL: 'warn',
};

interface MemoryRun {
  concurrency: number;
  config: string;
  env: Record<string, string>;
  processes: number;
  idlePssMb: number;
  busyPssMb: number;
  pssPerExecutionMb: number;
  /** Busy: the orchestrator's PSS, and the rest of the tree (pool process and threads, or children). */
  orchestratorPssMb: number;
  runnersPssMb: number;
  /** (busy − idle) / concurrency: what one more execution adds. */
  marginalPssMb: number;
  rssSumPerExecutionMb: number;
  /**
   * The same tree once the executions have awaited SETTLE_MS: V8's memory reducer has shrunk
   * every heap by then (children's as well as threads'), so this is what a long wait costs.
   */
  settledPssMb: number;
  settledPssPerExecutionMb: number;
}

interface CollateralRun {
  culprit: string;
  culpritOutcome: string;
  /** The culprit's stuck row's top frame, read from the blocked thread. */
  topFrame?: string;
  healthy: { outcome: string; attempt: number; sameThreadFirst: boolean }[];
  /** Stuck rows naming the healthy workflow (must be 0) and the culprit's. */
  healthyStuckRows: number;
  culpritStuckRows: number;
  /** The culprit started → the healthy executions' retries started on another thread. */
  retryStartedAfterMs: number[];
  /** How much longer the healthy executions took end to end than their own run time. */
  extraMs: number[];
}

interface ModeResult {
  mode: Mode;
  startupMs: number[];
  throughput: {
    executions: number;
    seconds: number;
    perSecond: number;
    concurrency: number;
    cpuMsPerExecution: { worker: number; localStack: number };
    coresBusy: { worker: number; localStack: number };
  };
  throughputAt16: ModeResult['throughput'];
  executorThroughput: { executions: number; perSecond: number; concurrency: number };
  queueTimeMs: Summary;
  dispatchMs: Summary;
  endToEndMs: Summary;
  memory: MemoryRun[];
  stuckDetectionMs: number[];
  stuckToClientMs: number[];
  recycle: { pickupMs: number[]; replacementRunsMs: number[]; note?: string };
  /** While messages arrive paced (light load). */
  eventLatencyMs: Summary;
  /** During the throughput burst: every event costs the publisher a read of the connections. */
  eventLatencyUnderBurstMs: Summary;
  /** Over the whole mode's run. */
  eventLatencyAllMs: Summary;
  eventsByType: Record<string, number>;
}

interface BenchResult {
  generatedAt: string;
  command: string;
  quick: boolean;
  machine: Machine;
  loadAverageAtEnd: number;
  settings: Record<string, string>;
  modes: ModeResult[];
  collateral: CollateralRun[];
  youngGeneration: YoungGenerationRun[];
  circuitBreaker: {
    threshold: number;
    sweepIntervalSeconds: number;
    stuckToBlacklistedMs: number;
    stuckToClientMs: number;
    refusedAfterTrip: string;
  };
  durationSeconds: number;
}

// ---------------------------------------------------------------------------------------------

class Bench {
  private readonly workerEnv: Record<string, string>;

  constructor(
    private readonly stack: TestStack,
    private readonly listener: EventListener,
    controlPlaneEnv: Record<string, string>,
    private readonly api: Awaited<ReturnType<typeof startControlPlane>>['api'],
  ) {
    this.workerEnv = { ...controlPlaneEnv, ...BENCH_WORKER_ENV };
  }

  worker(mode: Mode, env: Record<string, string> = {}): WorkerProcess {
    return startWorker(this.stack, { mode, env: { ...this.workerEnv, ...env } });
  }

  private event<T extends WardenEvent['type']>(
    type: T,
    match: (event: Extract<WardenEvent, { type: T }>) => boolean,
    timeoutMs = 60_000,
  ) {
    return this.listener.next(type, match, timeoutMs);
  }

  /** Spawn → the worker's own `worker_online` stamp (registered, executor ready). */
  async startup(mode: Mode, runs: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const spawnedAt = Date.now();
      const worker = this.worker(mode);
      const online = await this.event(
        'worker_online',
        (e) => e.worker.workerId === worker.workerId,
      );
      times.push(Date.parse(online.at) - spawnedAt);
      await worker.stop();
    }
    return times;
  }

  /** Messages sent one by one with a gap, so each meets an idle worker. */
  async paced(count: number, gapMs: number) {
    const sent = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const sentAt = Date.now();
      sent.set(await submit(this.stack, 'noop'), sentAt);
      await sleep(gapMs);
    }
    const records = await waitForAllTerminal(this.stack, [...sent.keys()], 120_000);
    const queue: number[] = [];
    const dispatch: number[] = [];
    const endToEnd: number[] = [];
    for (const [id, sentAt] of sent) {
      const record = expectSuccess(records.get(id), id);
      const startedAt = (record.output as { startedAt: number }).startedAt;
      queue.push(record.queueTimeMs!);
      dispatch.push(startedAt - Date.parse(record.startedAt!));
      endToEnd.push(Date.parse(record.finishedAt!) - sentAt);
    }
    return {
      queue: summarize(queue),
      dispatch: summarize(dispatch),
      endToEnd: summarize(endToEnd),
    };
  }

  /**
   * A burst of no-ops sent as fast as SQS takes them: sent → last terminal record. Also the CPU
   * it cost the worker and this process (the emulators, the control plane and the client), to
   * show which one limits the rate.
   */
  async burst(worker: WorkerProcess, count: number) {
    const ids: string[] = [];
    const cpuBefore = { worker: treeCpuMs(worker.pid), stack: ownCpuMs() };
    const startedAt = Date.now();
    for (let i = 0; i < count; i += 10) {
      const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => {
        const executionId = newExecutionId('tput');
        ids.push(executionId);
        return { Id: String(j), MessageBody: JSON.stringify({ executionId, workflowId: 'noop' }) };
      });
      await this.stack.clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.stack.queueUrl, Entries: entries }),
      );
    }
    const records = await waitForAllTerminal(this.stack, ids, 600_000);
    let last = 0;
    for (const id of ids)
      last = Math.max(last, Date.parse(expectSuccess(records.get(id), id).finishedAt!));
    const seconds = (last - startedAt) / 1000;
    const wallMs = Date.now() - startedAt;
    const workerCpuMs = treeCpuMs(worker.pid) - cpuBefore.worker;
    const stackCpuMs = ownCpuMs() - cpuBefore.stack;
    return {
      executions: count,
      seconds,
      perSecond: count / seconds,
      cpuMsPerExecution: { worker: workerCpuMs / count, localStack: stackCpuMs / count },
      /** Share of one core each kept busy during the burst. */
      coresBusy: { worker: workerCpuMs / wallMs, localStack: stackCpuMs / wallMs },
    };
  }

  /**
   * Memory per execution: a worker sized for `concurrency`, on a queue of its own, runs that many
   * sdk-io executions (AWS SDK loaded, one DynamoDB call, then awaiting I/O) at once; the PSS of
   * its whole tree is sampled until steady.
   */
  async memory(mode: Mode, concurrency: number, config: string, env: Record<string, string>) {
    const prefix = `${this.stack.env.WARDEN_TABLE_PREFIX}-m${mode[0]}${concurrency}${Object.values(env).join('')}`;
    const queues = await ensureQueues(this.stack.clients.sqs, prefix);
    const worker = this.worker(mode, {
      ...env,
      WARDEN_QUEUE_URL: queues.queueUrl,
      WARDEN_DLQ_URL: queues.deadLetterQueueUrl,
    });
    try {
      await worker.online(60_000);
      await sleep(1000);
      const idle = readTreeMemory(worker.pid);
      const ids = Array.from({ length: concurrency }, () => newExecutionId('mem'));
      await sendSdkIo(this.stack.clients.sqs, queues.queueUrl, ids, 60_000, 120);
      await waitFor(
        `${concurrency} sdk-io executions to be placed (${mode}, ${config})`,
        async () => {
          const records = await readRecords(this.stack, ids);
          return ids.every((id) => records.get(id)?.pid !== undefined);
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      const sampled = await sampleBusyAndSettled(() => readTreeMemory(worker.pid));
      const last = sampled.busy;
      const busy = median(last.map((s) => s.pssMb));
      const settled = sampled.settled.map((s) => s.pssMb);
      const run: MemoryRun = {
        concurrency,
        config,
        env,
        processes: last.at(-1)!.processes.length,
        idlePssMb: idle.pssMb,
        busyPssMb: busy,
        pssPerExecutionMb: busy / concurrency,
        orchestratorPssMb: median(
          last.map((x) => x.processes.find((p) => p.pid === worker.pid)?.pssMb ?? 0),
        ),
        runnersPssMb:
          busy - median(last.map((x) => x.processes.find((p) => p.pid === worker.pid)?.pssMb ?? 0)),
        marginalPssMb: (busy - idle.pssMb) / concurrency,
        rssSumPerExecutionMb: median(last.map((s) => s.rssSumMb)) / concurrency,
        settledPssMb: median(settled),
        settledPssPerExecutionMb: median(settled) / concurrency,
      };
      return run;
    } finally {
      // Measured; the executions need not run out their hold (their queue is this run's own).
      worker.killTree();
      await worker.exited;
    }
  }

  /**
   * The collateral scenario: three healthy executions (`slow-healthy`, 3 s) share a thread at the
   * default settings; then a culprit that blocks the thread (`cpu-spin`: while (true) {};
   * `sync-block`: Atomics.wait) lands on it. Only the culprit may be stuck; the healthy ones must
   * end SUCCESS after a retry elsewhere, with no stuck row.
   */
  async collateral(culprit: string): Promise<CollateralRun> {
    const since = new Date().toISOString();
    const worker = this.worker('thread');
    try {
      await worker.online(60_000);
      const healthyMs = 3000;
      const ids = await Promise.all(
        Array.from({ length: 3 }, () =>
          submit(this.stack, 'slow-healthy', { input: { ms: healthyMs } }),
        ),
      );
      const first = await waitFor('three healthy executions placed', async () => {
        const records = await readRecords(this.stack, ids);
        return ids.every((id) => records.get(id)?.threadId !== undefined) ? records : undefined;
      });
      const threadId = first.get(ids[0]!)!.threadId;
      const culpritId = await submit(this.stack, culprit, { timeoutSeconds: 2 });
      const culpritRecord = await waitForTerminal(this.stack, culpritId, 60_000);
      const healthy = await Promise.all(ids.map((id) => waitForTerminal(this.stack, id, 60_000)));
      const rows = await this.stack.repos.stuck.listSince(since);
      const culpritStart = Date.parse(culpritRecord.startedAt!);
      return {
        culprit,
        culpritOutcome: `${culpritRecord.status}/${culpritRecord.errorType ?? ''}`,
        topFrame: rows.find((r) => r.executionId === culpritId)?.stack?.[0],
        healthy: healthy.map((r) => ({
          outcome: r.errorType ? `${r.status}/${r.errorType}` : r.status,
          attempt: r.attempt ?? 1,
          sameThreadFirst: first.get(r.executionId)?.threadId === threadId,
        })),
        healthyStuckRows: rows.filter((r) => r.workflowId === 'slow-healthy').length,
        culpritStuckRows: rows.filter((r) => r.workflowId === culprit).length,
        retryStartedAfterMs: healthy.map((r) => Date.parse(r.startedAt!) - culpritStart),
        extraMs: healthy.map(
          (r) =>
            Date.parse(r.finishedAt!) -
            Date.parse(first.get(r.executionId)!.startedAt!) -
            healthyMs,
        ),
      };
    } finally {
      await worker.stop();
    }
  }

  /**
   * Timeout → ExecutionStuck record, for `rounds` × `parallel` cpu-spin executions. The stuck
   * row carries the time from dispatch to the stuck verdict (elapsedMs) and when it was written;
   * so dispatch = stuckAt − elapsedMs, the timeout fired at dispatch + timeout, and the record's
   * finishedAt is when ExecutionStuck was written.
   */
  async stuck(rounds: number, parallel: number) {
    const detection: number[] = [];
    const toClient: number[] = [];
    const since = new Date(Date.now() - 1000).toISOString();
    for (let r = 0; r < rounds; r++) {
      const ids = await Promise.all(
        Array.from({ length: parallel }, () =>
          submit(this.stack, 'cpu-spin', { timeoutSeconds: STUCK_TIMEOUT_S }),
        ),
      );
      for (const id of ids) {
        const record = await waitForTerminal(this.stack, id, 60_000);
        if (record.errorType !== 'ExecutionStuck') {
          throw new Error(`${id} ended ${record.status}/${record.errorType}, not ExecutionStuck`);
        }
        const rows = await this.stack.repos.stuck.listForWorkflow('cpu-spin', since);
        const row = rows.find((candidate) => candidate.executionId === id);
        if (!row) throw new Error(`no stuck row for ${id}`);
        const timedOutAt = Date.parse(row.stuckAt) - row.elapsedMs + STUCK_TIMEOUT_S * 1000;
        const finishedAt = Date.parse(record.finishedAt!);
        detection.push(finishedAt - timedOutAt);
        const event = await this.event('execution_stuck', (e) => e.executionId === id);
        toClient.push(event.receivedAt - finishedAt);
      }
    }
    return { detection, toClient };
  }

  /**
   * The worker's ACTIVE process, from a heartbeat sent over a second after the call, once it is
   * the only one listed. The listing is the last heartbeat's: just after a stuck verdict it can
   * still show the process that verdict drains, and a recycle aimed at it would be refused.
   */
  private async activeProcess(worker: WorkerProcess, notPid?: number) {
    const freshAfter = Date.now() + 1000;
    return waitFor(`${worker.workerId} to list one process, ACTIVE`, async () => {
      const { status, body } = await this.api<WorkerDetailResponse>(
        'GET',
        `/api/platform/workers/${worker.workerId}`,
      );
      if (status !== 200 || Date.parse(body.worker.lastHeartbeatAt) < freshAfter) return undefined;
      const [only, ...others] = body.worker.processes;
      return !others.length && only?.state === 'ACTIVE' && only.pid !== notPid ? only : undefined;
    });
  }

  private async recycleCommand(worker: WorkerProcess, pid: number, generation: number) {
    const requestedAt = Date.now();
    const response = await this.api(
      'POST',
      `/api/platform/workers/${worker.workerId}/processes/${pid}/recycle`,
      { body: { generation } },
    );
    if (response.status !== 202) {
      throw new Error(`recycle answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
    const pending = await this.event(
      'process_state_changed',
      (e) => e.workerId === worker.workerId && e.pid === pid && e.to === 'PENDING_KILL',
    );
    return { requestedAt, pickupMs: pending.receivedAt - requestedAt };
  }

  /** Thread mode: command → PENDING_KILL, and command → the replacement runs an execution. */
  async recycleThread(worker: WorkerProcess, runs: number) {
    const pickupMs: number[] = [];
    const replacementRunsMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const active = await this.activeProcess(worker);
      const { requestedAt, pickupMs: pickup } = await this.recycleCommand(
        worker,
        active.pid,
        active.generation,
      );
      pickupMs.push(pickup);
      const id = await submit(this.stack, 'noop');
      const record = expectSuccess(await waitForTerminal(this.stack, id, 60_000), id);
      if (record.pid === active.pid) throw new Error('the recycled process took new work');
      replacementRunsMs.push((record.output as { startedAt: number }).startedAt - requestedAt);
      await this.activeProcess(worker, active.pid);
    }
    return { pickupMs, replacementRunsMs };
  }

  /** Process mode: a recycle marks a running child PENDING_KILL; every execution forks anew. */
  async recycleProcess(worker: WorkerProcess, runs: number) {
    const pickupMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const id = await submit(this.stack, 'slow-healthy', { input: { ms: 8000 } });
      const placed = await waitFor(`${id} to be placed`, async () => {
        const record = await this.stack.repos.executions.get(id);
        return record?.pid !== undefined ? record : undefined;
      });
      // The API checks the process against the worker's last heartbeat.
      await waitFor(`pid ${placed.pid} in the heartbeat`, async () => {
        const record = await this.stack.repos.workers.get(worker.workerId);
        return record?.processes.some((p) => p.pid === placed.pid);
      });
      pickupMs.push((await this.recycleCommand(worker, placed.pid!, placed.generation!)).pickupMs);
      expectSuccess(await waitForTerminal(this.stack, id, 60_000), id);
    }
    return { pickupMs };
  }

  /** Events received since `fromIndex` (and before `toIndex`): state change → client. */
  eventLatency(fromIndex: number, toIndex?: number) {
    const events = this.listener.events.slice(fromIndex, toIndex);
    const byType: Record<string, number> = {};
    for (const { event } of events) byType[event.type] = (byType[event.type] ?? 0) + 1;
    return {
      summary: summarize(events.map(({ event, receivedAt }) => receivedAt - Date.parse(event.at))),
      byType,
    };
  }

  /**
   * The runs before the breaker's own make cpu-spin stuck a dozen times: the breaker must not cut
   * them short, so its threshold is out of reach until `circuitBreaker` sets its own.
   */
  async holdBreaker(): Promise<void> {
    const put = await this.api('PUT', '/api/platform/config', {
      body: { stuck_circuit_breaker_threshold: 1000 },
    });
    if (put.status !== 200) throw new Error(`PUT config answered ${put.status}`);
  }

  /** Threshold-reaching stuck record → workflow_blacklisted at the client; then a refusal. */
  async circuitBreaker(threshold: number) {
    const put = await this.api('PUT', '/api/platform/config', {
      body: { stuck_circuit_breaker_threshold: threshold },
    });
    if (put.status !== 200) throw new Error(`PUT config answered ${put.status}`);
    const since = new Date(Date.now() - 1000).toISOString();
    const ids = await Promise.all(
      Array.from({ length: threshold }, () =>
        submit(this.stack, 'ignore-cancel', { timeoutSeconds: STUCK_TIMEOUT_S }),
      ),
    );
    await Promise.all(ids.map((id) => waitForTerminal(this.stack, id, 60_000)));
    const blacklisted = await this.event(
      'workflow_blacklisted',
      (e) => e.entry.workflowId === 'ignore-cancel',
    );
    const rows = await this.stack.repos.stuck.listForWorkflow('ignore-cancel', since);
    if (rows.length < threshold) throw new Error(`only ${rows.length} stuck rows`);
    const reachedAt = Math.max(...rows.map((row) => Date.parse(row.stuckAt)));
    // Workers cache the blacklist for BLACKLIST_CACHE_SECONDS; after that every one refuses it.
    await sleep(Number(BENCH_WORKER_ENV.BLACKLIST_CACHE_SECONDS) * 1000 + 1000);
    const refused = await submit(this.stack, 'ignore-cancel', { timeoutSeconds: STUCK_TIMEOUT_S });
    const refusal = await waitForTerminal(this.stack, refused, 30_000);
    return {
      stuckToBlacklistedMs: Date.parse(blacklisted.entry.blacklistedAt) - reachedAt,
      stuckToClientMs: blacklisted.receivedAt - reachedAt,
      refusedAfterTrip: `${refusal.status}/${refusal.errorType}`,
    };
  }
}

function expectSuccess(record: ExecutionRecord | undefined, id: string): ExecutionRecord {
  if (record?.status !== 'SUCCESS') {
    throw new Error(
      `${id} ended ${record?.status ?? 'without a record'}${record?.errorType ? `/${record.errorType}: ${record.errorMessage}` : ''}`,
    );
  }
  return record;
}

/** The executor alone, in this process: no-ops through createExecutor, no SQS or DynamoDB. */
async function executorThroughput(mode: Mode, executions: number, concurrency: number) {
  const executor: Executor = createExecutor(mode === 'thread', {
    catalog: await loadWorkflowCatalog(SAMPLES_DIR),
    logger: createLogger('bench', 'warn'),
    maxConcurrency: concurrency,
    cancelGraceMs: 10_000,
    killCapMs: 2000,
    threadMaxHeapMb: 256,
    threadPoolSize: concurrency,
    executionsPerThread: 1,
    maxExecutionsPerProcess: 10_000_000,
    maxProcessMemoryMb: 65_536,
  });
  await executor.start();
  let issued = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < executions) {
        const n = ++issued;
        const outcome = await executor.execute(
          { executionId: `x-${n}`, workflowId: 'noop', input: {}, attempt: 1, timeoutMs: 60_000 },
          { onStuck: async () => {} },
        );
        if (outcome.status !== 'SUCCESS') throw new Error(`noop ended ${outcome.status}`);
      }
    }),
  );
  const seconds = (now() - started) / 1000;
  await executor.stop();
  return { executions, perSecond: executions / seconds, concurrency };
}

/**
 * Memory is measured at the default settings in both modes: only the concurrency is set
 * (WORKER_MAX_CONCURRENCY), as an operator sizing a worker would.
 */
function memoryConfigs(mode: Mode) {
  return CONCURRENCIES.map((concurrency) => ({
    concurrency,
    config:
      mode === 'process'
        ? `defaults: ${concurrency} processes`
        : `defaults: shared threads (up to ${DEFAULT_PER_THREAD} executions each)`,
    env: { WORKER_MAX_CONCURRENCY: String(concurrency) },
  }));
}

async function runMemory(bench: Bench, mode: Mode): Promise<MemoryRun[]> {
  const memory: MemoryRun[] = [];
  for (const { concurrency, config, env } of memoryConfigs(mode)) {
    log(`${mode}: memory at concurrency ${concurrency} (${config})`);
    memory.push(await bench.memory(mode, concurrency, config, env));
  }
  return memory;
}

async function runMode(bench: Bench, mode: Mode, listener: EventListener) {
  const firstEvent = listener.events.length;
  log(`${mode}: start-up`);
  const startupMs = await bench.startup(mode, QUICK ? 1 : 3);
  log(`${mode}: executor-only throughput`);
  const executor = await executorThroughput(
    mode,
    mode === 'thread' ? (QUICK ? 500 : 3000) : QUICK ? 12 : 40,
    4,
  );
  const worker = bench.worker(mode);
  await worker.online(60_000);
  log(`${mode}: paced latency`);
  const pacedFrom = listener.events.length;
  const paced = await bench.paced(
    QUICK ? 8 : mode === 'thread' ? 40 : 20,
    mode === 'thread' ? 250 : 500,
  );
  const pacedEvents = bench.eventLatency(pacedFrom);
  log(`${mode}: end-to-end throughput`);
  const burstFrom = listener.events.length;
  const throughput = await bench.burst(worker, QUICK ? 40 : mode === 'thread' ? 400 : 80);
  const burstEvents = bench.eventLatency(burstFrom);
  log(`${mode}: stuck detection`);
  const stuck = await bench.stuck(QUICK ? 1 : 2, 2);
  log(`${mode}: recycle`);
  const recycle =
    mode === 'thread'
      ? await bench.recycleThread(worker, QUICK ? 1 : 3)
      : {
          ...(await bench.recycleProcess(worker, QUICK ? 1 : 2)),
          replacementRunsMs: [],
          note: 'process mode forks a fresh process for every execution: a recycle only marks the running child PENDING_KILL, and there is no replacement to wait for',
        };
  await worker.stop();
  // The same burst with room for 16 at once (thread mode: 2 threads × 8 executions each).
  log(`${mode}: end-to-end throughput at concurrency 16`);
  const wide = bench.worker(
    mode,
    mode === 'thread'
      ? {
          WORKER_THREAD_POOL_SIZE: '2',
          WORKER_EXECUTIONS_PER_THREAD: '8',
          WORKER_MAX_CONCURRENCY: '16',
        }
      : { WORKER_MAX_CONCURRENCY: '16' },
  );
  await wide.online(60_000);
  const throughput16 = await bench.burst(wide, QUICK ? 40 : mode === 'thread' ? 600 : 80);
  await wide.stop();
  const memory = await runMemory(bench, mode);
  const events = bench.eventLatency(firstEvent);
  const result: ModeResult = {
    mode,
    startupMs,
    throughput: { ...throughput, concurrency: 4 },
    throughputAt16: { ...throughput16, concurrency: 16 },
    executorThroughput: executor,
    queueTimeMs: paced.queue,
    dispatchMs: paced.dispatch,
    endToEndMs: paced.endToEnd,
    memory,
    stuckDetectionMs: stuck.detection,
    stuckToClientMs: stuck.toClient,
    recycle,
    eventLatencyMs: pacedEvents.summary,
    eventLatencyUnderBurstMs: burstEvents.summary,
    eventLatencyAllMs: events.summary,
    eventsByType: events.byType,
  };
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';
const ms = (value: number): string => `${f(value, value < 10 ? 1 : 0)} ms`;
const pp = (s: Summary): string => `${ms(s.p50)} / ${ms(s.p99)}`;
const list = (values: number[]): string =>
  values.length ? `${ms(median(values))} (${values.map((v) => f(v)).join(', ')})` : '–';

function renderMemory(modes: Pick<ModeResult, 'mode' | 'memory'>[]): string[] {
  const lines = [
    'Memory per execution at the default settings (only WORKER_MAX_CONCURRENCY set), sdk-io (AWS SDK loaded, one DynamoDB call, awaiting I/O), PSS of the worker’s whole process tree',
    '',
    '| concurrency | mode | configuration | processes | tree PSS idle → busy (MB) | busy: orchestrator / runners (MB) | PSS / execution | marginal PSS / execution | summed RSS / execution (overcounts) | settled PSS / execution |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of CONCURRENCIES) {
    for (const mode of modes) {
      for (const m of mode.memory.filter((x) => x.concurrency === c)) {
        lines.push(
          `| ${c} | ${mode.mode} | ${m.config} | ${m.processes} | ${f(m.idlePssMb, 1)} → ${f(m.busyPssMb, 1)} | ${f(m.orchestratorPssMb, 1)} / ${f(m.runnersPssMb, 1)} | **${f(m.pssPerExecutionMb, 1)} MB** | ${f(m.marginalPssMb, 1)} MB | ${f(m.rssSumPerExecutionMb, 1)} MB | ${f(m.settledPssPerExecutionMb, 1)} MB |`,
        );
      }
    }
  }
  lines.push('');
  const thread = modes.find((m) => m.mode === 'thread');
  const process = modes.find((m) => m.mode === 'process');
  for (const c of CONCURRENCIES) {
    const base = process?.memory.find((m) => m.concurrency === c);
    const ours = thread?.memory.find((m) => m.concurrency === c);
    if (!base || !ours) continue;
    const ratio = (100 * ours.pssPerExecutionMb) / base.pssPerExecutionMb;
    const settled = (100 * ours.settledPssPerExecutionMb) / base.settledPssPerExecutionMb;
    lines.push(
      `concurrency ${c}: thread mode ${f(ours.pssPerExecutionMb, 1)} MB vs process mode ${f(base.pssPerExecutionMb, 1)} MB per execution (whole worker): ${f(ratio)} % of process mode (target: at most 50 %); settled after ${SETTLE_MS / 1000} s: ${f(settled)} %`,
    );
  }
  return lines;
}

function renderCollateral(runs: CollateralRun[]): string[] {
  const lines = [
    'Collateral: three healthy executions (slow-healthy, 3 s) share a thread at the default settings; a culprit that blocks the thread (timeout 2 s) lands on it',
    '',
    '| culprit | culprit ends | its stack row, top frame | healthy end (attempt) | stuck rows: culprit / healthy | healthy retry started after the culprit started | healthy: extra time end to end |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    lines.push(
      `| ${r.culprit} | ${r.culpritOutcome} | ${r.topFrame ?? '–'} | ${r.healthy.map((h) => `${h.outcome} (${h.attempt})`).join(', ')} | ${r.culpritStuckRows} / ${r.healthyStuckRows} | ${r.retryStartedAfterMs.map((v) => f(v)).join(', ')} ms | ${r.extraMs.map((v) => f(v)).join(', ')} ms |`,
    );
  }
  return lines;
}

async function runCollateral(bench: Bench): Promise<CollateralRun[]> {
  const runs: CollateralRun[] = [];
  for (const culprit of ['cpu-spin', 'sync-block']) {
    log(`collateral: ${culprit} among healthy executions`);
    runs.push(await bench.collateral(culprit));
  }
  return runs;
}

function render(result: BenchResult): string {
  const [t, p] = ['thread', 'process'].map((m) => result.modes.find((r) => r.mode === m)!);
  const rows: [string, string, string][] = [
    [
      'end-to-end throughput (sent → terminal record), concurrency 4',
      `${f(t!.throughput.perSecond, 1)} /s (${t!.throughput.executions} in ${f(t!.throughput.seconds, 1)} s)`,
      `${f(p!.throughput.perSecond, 1)} /s (${p!.throughput.executions} in ${f(p!.throughput.seconds, 1)} s)`,
    ],
    [
      'CPU per execution at concurrency 4: worker / local stack (emulators, control plane)',
      `${f(t!.throughput.cpuMsPerExecution.worker, 1)} / ${f(t!.throughput.cpuMsPerExecution.localStack, 1)} ms (cores busy ${f(t!.throughput.coresBusy.worker, 2)} / ${f(t!.throughput.coresBusy.localStack, 2)})`,
      `${f(p!.throughput.cpuMsPerExecution.worker, 1)} / ${f(p!.throughput.cpuMsPerExecution.localStack, 1)} ms (cores busy ${f(p!.throughput.coresBusy.worker, 2)} / ${f(p!.throughput.coresBusy.localStack, 2)})`,
    ],
    [
      'end-to-end throughput, concurrency 16 (thread: 2 threads × 8)',
      `${f(t!.throughputAt16.perSecond, 1)} /s (${t!.throughputAt16.executions} in ${f(t!.throughputAt16.seconds, 1)} s)`,
      `${f(p!.throughputAt16.perSecond, 1)} /s (${p!.throughputAt16.executions} in ${f(p!.throughputAt16.seconds, 1)} s)`,
    ],
    [
      'CPU per execution at concurrency 16: worker / local stack',
      `${f(t!.throughputAt16.cpuMsPerExecution.worker, 1)} / ${f(t!.throughputAt16.cpuMsPerExecution.localStack, 1)} ms (cores busy ${f(t!.throughputAt16.coresBusy.worker, 2)} / ${f(t!.throughputAt16.coresBusy.localStack, 2)})`,
      `${f(p!.throughputAt16.cpuMsPerExecution.worker, 1)} / ${f(p!.throughputAt16.cpuMsPerExecution.localStack, 1)} ms (cores busy ${f(p!.throughputAt16.coresBusy.worker, 2)} / ${f(p!.throughputAt16.coresBusy.localStack, 2)})`,
    ],
    [
      'executor-only throughput (no-op), concurrency 4',
      `${f(t!.executorThroughput.perSecond)} /s`,
      `${f(p!.executorThroughput.perSecond, 1)} /s`,
    ],
    ['queue time p50 / p99 (sent → claimed, paced)', pp(t!.queueTimeMs), pp(p!.queueTimeMs)],
    ['dispatch p50 / p99 (claimed → workflow running)', pp(t!.dispatchMs), pp(p!.dispatchMs)],
    ['sent → terminal record p50 / p99 (paced)', pp(t!.endToEndMs), pp(p!.endToEndMs)],
    [
      `stuck detection (timeout → ExecutionStuck record), grace ${GRACE_S} s`,
      list(t!.stuckDetectionMs),
      list(p!.stuckDetectionMs),
    ],
    [
      'ExecutionStuck record → WebSocket client',
      list(t!.stuckToClientMs),
      list(p!.stuckToClientMs),
    ],
    ['recycle: command → PENDING_KILL', list(t!.recycle.pickupMs), list(p!.recycle.pickupMs)],
    [
      'recycle: command → replacement runs an execution',
      list(t!.recycle.replacementRunsMs),
      'n/a (a fresh process per execution)',
    ],
    ['worker start-up (spawn → ONLINE)', list(t!.startupMs), list(p!.startupMs)],
    [
      'event latency p50 / p99 (state change → client), paced',
      pp(t!.eventLatencyMs),
      pp(p!.eventLatencyMs),
    ],
    [
      'event latency p50 / p99, during the throughput burst',
      pp(t!.eventLatencyUnderBurstMs),
      pp(p!.eventLatencyUnderBurstMs),
    ],
  ];
  const lines = [
    `Warden end-to-end benchmark — ${result.generatedAt}${result.quick ? ' (--quick)' : ''}`,
    `Machine: ${machineLine(result.machine)}`,
    `Load average (1 min): ${result.machine.loadAverageAtStart} at start, ${result.loadAverageAtEnd} at end; took ${f(result.durationSeconds)} s`,
    '',
    '| figure | thread mode | process mode |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  lines.push(
    ...renderMemory(result.modes),
    '',
    ...renderYoungGeneration(result.youngGeneration),
    '',
    ...renderCollateral(result.collateral),
  );
  const cb = result.circuitBreaker;
  lines.push('');
  lines.push(
    `Circuit breaker (threshold ${cb.threshold}, sweep every ${cb.sweepIntervalSeconds} s): stuck record reaching the threshold → blacklisted ${ms(cb.stuckToBlacklistedMs)}, → workflow_blacklisted at the client ${ms(cb.stuckToClientMs)}; the next submission ended ${cb.refusedAfterTrip}`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const began = Date.now();
  const machine = describeMachine();
  log(`machine: ${machineLine(machine)}; load ${machine.loadAverageAtStart}`);
  const stack = await startTestStack();
  const sweepIntervalSeconds = 1;
  const controlPlane = await startControlPlane(stack, {
    schedule: true,
    env: { CIRCUIT_BREAKER_INTERVAL_SECONDS: String(sweepIntervalSeconds) },
  });
  const listener = await controlPlane.listen();
  const bench = new Bench(stack, listener, controlPlane.workerEnv, controlPlane.api);
  try {
    await bench.holdBreaker();
    if (MEMORY_ONLY) {
      const modes = [];
      for (const mode of MODES) modes.push({ mode, memory: await runMemory(bench, mode) });
      log('young-generation cap');
      const young = measureYoungGeneration();
      const collateral = await runCollateral(bench);
      const lines = [
        ...renderMemory(modes),
        '',
        ...renderYoungGeneration(young),
        '',
        ...renderCollateral(collateral),
      ];
      process.stdout.write(
        `\nMachine: ${machineLine(machine)}; load average (1 min) ${machine.loadAverageAtStart} at start, ${currentLoad()} at end\n\n${lines.join('\n')}\n`,
      );
      return;
    }
    const collateral = await runCollateral(bench);
    const modes: ModeResult[] = [];
    for (const mode of MODES) modes.push(await runMode(bench, mode, listener));
    log('circuit breaker');
    const breakerWorker = bench.worker('process');
    await breakerWorker.online(60_000);
    const threshold = 3;
    const circuitBreaker = {
      threshold,
      sweepIntervalSeconds,
      ...(await bench.circuitBreaker(threshold)),
    };
    await breakerWorker.stop();
    log('young-generation cap');
    const youngGeneration = measureYoungGeneration();
    const result: BenchResult = {
      generatedAt: new Date().toISOString(),
      command: `npm run bench${QUICK ? ' -- --quick' : ''}`,
      quick: QUICK,
      machine,
      loadAverageAtEnd: currentLoad(),
      settings: BENCH_WORKER_ENV,
      modes,
      collateral,
      youngGeneration,
      circuitBreaker,
      durationSeconds: (Date.now() - began) / 1000,
    };
    const dir = new URL('./results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL(QUICK ? 'latest-quick.json' : 'latest.json', dir);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n${render(result)}\n\nWritten to ${file.pathname}\n`);
  } finally {
    await killAllWorkers();
    await listener.close();
    await controlPlane.stop();
    await stack.stop();
  }
}

await main();
