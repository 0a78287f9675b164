/**
 * `npm run soak`: a thread-mode worker runs a long stream of executions (10,000 by default) on
 * the local stack, recycling its pool process every WORKER_MAX_EXECUTIONS_PER_PROCESS executions,
 * while the memory (PSS) of its orchestrator and of each pool process is sampled. Growth beyond
 * noise is a leak: the verdict fits a line to the orchestrator's PSS over the steady state (after
 * a warm-up), and compares the pool processes generation by generation and within each
 * generation.
 *
 * Options: --executions N (default 10000), --per-process N (default 1000). Writes
 * bench/results/soak-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { WorkerRecord } from '@warden/core';
import { readMemoryDetail } from '@warden/worker';
import { startControlPlane } from '../test/support/control-plane.js';
import { startTestStack } from '../test/support/stack.js';
import { waitFor } from '../test/support/wait.js';
import { killAllWorkers, startWorker } from '../test/support/worker-process.js';
import { currentLoad, describeMachine, machineLine } from './lib/machine.js';
import { linearFit, median, type LinearFit } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    executions: { type: 'string', default: '10000' },
    'per-process': { type: 'string', default: '1000' },
  },
});
const TOTAL = Number(args.executions);
const PER_PROCESS = Number(args['per-process']);
if (!Number.isInteger(TOTAL) || TOTAL < 100) throw new Error('--executions must be ≥ 100');
if (!Number.isInteger(PER_PROCESS) || PER_PROCESS < 10)
  throw new Error('--per-process must be ≥ 10');

const SAMPLE_EVERY_MS = 2000;
const BACKLOG = 120;
/** The first part of the run is warm-up (JIT, caches, connection pools) and is not fitted. */
const WARM_UP_FRACTION = 0.2;
const log = (line: string): void => void process.stderr.write(`[soak] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A realistic mix: mostly short work, some awaiting I/O, some loading the AWS SDK, a few failures. */
function message(n: number): { workflowId: string; input?: unknown } {
  const r = n % 100;
  if (r < 70) return { workflowId: 'noop' };
  if (r < 85) return { workflowId: 'echo', input: { n, text: 'x'.repeat(n % 200) } };
  if (r < 95) return { workflowId: 'sleep', input: { ms: 50 + (n % 150) } };
  if (r < 99) return { workflowId: 'sdk-io', input: { holdMs: 100 } };
  return { workflowId: 'fail', input: { message: `failing on purpose (${n})` } };
}

interface PoolSample {
  pid: number;
  generation: number;
  state: string;
  jobsProcessed: number;
  pssMb: number;
}

interface Sample {
  seconds: number;
  completed: number;
  orchestratorPssMb: number;
  pools: PoolSample[];
  treePssMb: number;
}

interface Generation {
  generation: number;
  pid: number;
  samples: number;
  firstPssMb: number;
  peakPssMb: number;
  /** PSS while ACTIVE against the executions it had run: growth per 1,000 within one process. */
  withinMbPer1000?: number;
  jobs: number;
}

interface Verdict {
  fit: LinearFit;
  /** Growth the line predicts over 10,000 executions, in MB. */
  per10kMb: number;
  /** Growth over the fitted span, against the noise around the line. */
  spanGrowthMb: number;
  noiseMb: number;
  growing: boolean;
}

function verdict(xs: number[], ys: number[]): Verdict {
  const fit = linearFit(xs, ys);
  const span = Math.max(...xs) - Math.min(...xs);
  const spanGrowthMb = fit.slope * span;
  // Beyond noise: the rise over the span exceeds twice the scatter around the line, and the
  // slope is clear of zero by more than three standard errors.
  const growing = spanGrowthMb > 2 * fit.residualStd && fit.slope > 3 * fit.slopeStdErr;
  return { fit, per10kMb: fit.slope * 10_000, spanGrowthMb, noiseMb: fit.residualStd, growing };
}

async function main(): Promise<void> {
  const began = Date.now();
  const machine = describeMachine();
  log(`machine: ${machineLine(machine)}; load ${machine.loadAverageAtStart}`);
  log(`${TOTAL} executions, pool process recycled every ${PER_PROCESS}`);
  const stack = await startTestStack();
  const controlPlane = await startControlPlane(stack);
  // One admin watching: every event goes through the publisher to a live connection.
  const listener = await controlPlane.listen();
  const settings = {
    WORKER_THREAD_POOL_SIZE: '4',
    WORKER_EXECUTIONS_PER_THREAD: '2',
    WORKER_MAX_EXECUTIONS_PER_PROCESS: String(PER_PROCESS),
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '2',
    WORKER_POLL_WAIT_SECONDS: '2',
    BLACKLIST_CACHE_SECONDS: '5',
    WORKER_VISIBILITY_TIMEOUT_SECONDS: '30',
    LOG_LEVEL: 'warn',
  };
  const worker = startWorker(stack, {
    mode: 'thread',
    env: { ...controlPlane.workerEnv, ...settings },
  });
  const samples: Sample[] = [];
  let finished = 0;
  let failed = 0;
  let seen = 0;
  const countFinished = (): void => {
    for (; seen < listener.events.length; seen++) {
      const { event } = listener.events[seen]!;
      if (event.type === 'execution_finished') {
        finished++;
        if (event.status !== 'SUCCESS') failed++;
      }
    }
    // The listener keeps every event; drop what has been counted so the soak's own memory stays flat.
    listener.events.splice(0, seen);
    seen = 0;
  };
  try {
    await worker.online(60_000);
    const since = new Date(Date.now() - 1000).toISOString();
    let sent = 0;
    const feeder = (async () => {
      while (sent < TOTAL) {
        countFinished();
        const room = Math.min(TOTAL - sent, BACKLOG - (sent - finished));
        if (room < 10 && sent < TOTAL - 10) {
          await sleep(50);
          continue;
        }
        const entries = Array.from({ length: Math.min(10, TOTAL - sent) }, (_, j) => {
          const n = sent + j;
          return {
            Id: String(j),
            MessageBody: JSON.stringify({ executionId: `soak-${n}`, ...message(n) }),
          };
        });
        await stack.clients.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: stack.queueUrl, Entries: entries }),
        );
        sent += entries.length;
      }
    })();

    const t0 = Date.now();
    while (finished < TOTAL) {
      countFinished();
      const record: WorkerRecord | undefined = await stack.repos.workers.get(worker.workerId);
      const orchestrator = readMemoryDetail(worker.pid);
      if (!orchestrator) throw new Error('cannot read the orchestrator’s PSS (Linux /proc needed)');
      const pools: PoolSample[] = [];
      for (const p of record?.processes ?? []) {
        const detail = readMemoryDetail(p.pid);
        if (detail) {
          pools.push({
            pid: p.pid,
            generation: p.generation,
            state: p.state,
            jobsProcessed: p.jobsProcessed,
            pssMb: detail.pssMb,
          });
        }
      }
      const sample: Sample = {
        seconds: (Date.now() - t0) / 1000,
        completed: finished,
        orchestratorPssMb: orchestrator.pssMb,
        pools,
        treePssMb: orchestrator.pssMb + pools.reduce((sum, p) => sum + p.pssMb, 0),
      };
      samples.push(sample);
      if (samples.length % 15 === 0) {
        log(
          `${sample.seconds.toFixed(0)} s: ${finished}/${TOTAL} done, orchestrator ${sample.orchestratorPssMb.toFixed(1)} MB, pools ${pools.map((p) => `g${p.generation}:${p.state[0]}:${p.pssMb.toFixed(0)}`).join(' ')} MB`,
        );
      }
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
        throw new Error(`the worker exited: ${worker.output().slice(-2000)}`);
      }
      if (Date.now() - t0 > 60 * 60_000) throw new Error('the soak ran for an hour; giving up');
      await sleep(SAMPLE_EVERY_MS);
    }
    await feeder;
    const counts = await waitFor(
      `all ${TOTAL} records terminal`,
      async () => {
        const c = await stack.repos.executions.countByStatusSince(since);
        return c.SUCCESS + c.FAILED + c.CANCELLED >= TOTAL ? c : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const seconds = (Date.now() - t0) / 1000;
    const final = await stack.repos.workers.get(worker.workerId);
    await worker.stop();
    report({
      samples,
      counts,
      failedEvents: failed,
      seconds,
      settings,
      machine,
      finalGeneration: Math.max(...(final?.processes ?? []).map((p) => p.generation)),
      durationSeconds: (Date.now() - began) / 1000,
    });
  } finally {
    await killAllWorkers();
    await listener.close();
    await controlPlane.stop();
    await stack.stop();
  }
}

function report(run: {
  samples: Sample[];
  counts: Record<string, number>;
  failedEvents: number;
  seconds: number;
  settings: Record<string, string>;
  machine: ReturnType<typeof describeMachine>;
  finalGeneration: number;
  durationSeconds: number;
}): void {
  const { samples } = run;
  const steady = samples.filter((s) => s.completed >= TOTAL * WARM_UP_FRACTION);
  const orchestrator = verdict(
    steady.map((s) => s.completed),
    steady.map((s) => s.orchestratorPssMb),
  );
  const tree = verdict(
    steady.map((s) => s.completed),
    steady.map((s) => s.treePssMb),
  );

  // Pool processes, one generation at a time.
  const byGeneration = new Map<number, PoolSample[]>();
  for (const s of samples) {
    for (const p of s.pools)
      byGeneration.set(p.generation, [...(byGeneration.get(p.generation) ?? []), p]);
  }
  const generations: Generation[] = [...byGeneration.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([generation, points]) => {
      const active = points.filter(
        (p) => p.state === 'ACTIVE' && p.jobsProcessed > PER_PROCESS * 0.2,
      );
      let withinMbPer1000: number | undefined;
      if (active.length >= 5) {
        withinMbPer1000 =
          linearFit(
            active.map((p) => p.jobsProcessed),
            active.map((p) => p.pssMb),
          ).slope * 1000;
      }
      return {
        generation,
        pid: points[0]!.pid,
        samples: points.length,
        firstPssMb: points[0]!.pssMb,
        peakPssMb: Math.max(...points.map((p) => p.pssMb)),
        withinMbPer1000,
        jobs: Math.max(...points.map((p) => p.jobsProcessed)),
      };
    });
  // Whole generations only (the first and the last may be partial), for the across-generations fit.
  const complete = generations.filter((g) => g.jobs >= PER_PROCESS * 0.9);
  const acrossGenerations =
    complete.length >= 3
      ? verdict(
          complete.map((g) => g.generation),
          complete.map((g) => g.peakPssMb),
        )
      : undefined;
  const within = generations.flatMap((g) =>
    g.withinMbPer1000 === undefined ? [] : [g.withinMbPer1000],
  );

  const f = (value: number, digits = 1): string =>
    Number.isFinite(value) ? value.toFixed(digits) : '–';
  const describe = (name: string, v: Verdict): string =>
    `${name}: ${v.growing ? 'GROWING' : 'flat'} — slope ${f(v.fit.slope * 1000, 2)} ± ${f(2 * v.fit.slopeStdErr * 1000, 2)} MB per 1,000 executions (${f(v.per10kMb)} MB per 10,000), rise over the steady state ${f(v.spanGrowthMb)} MB against noise ±${f(v.noiseMb)} MB`;

  const lines: string[] = [
    `Warden soak — ${new Date().toISOString()}`,
    `Machine: ${machineLine(run.machine)}`,
    `Load average (1 min): ${run.machine.loadAverageAtStart} at start, ${currentLoad()} at end`,
    `Command: npm run soak${TOTAL !== 10_000 || PER_PROCESS !== 1000 ? ` -- --executions ${TOTAL} --per-process ${PER_PROCESS}` : ''}`,
    `Settings: ${Object.entries(run.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    `${TOTAL} executions in ${f(run.seconds, 0)} s (${f(TOTAL / run.seconds)} /s): ${Object.entries(
      run.counts,
    )
      .filter(([, n]) => n)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ')}; pool process generations 1 → ${run.finalGeneration}`,
    '',
    '| executions done | time (s) | orchestrator PSS (MB) | pool processes: generation:state PSS (MB) | tree PSS (MB) |',
    '|---|---|---|---|---|',
  ];
  const rows = 24;
  for (let i = 0; i < rows; i++) {
    const s =
      samples[Math.min(samples.length - 1, Math.round((i * (samples.length - 1)) / (rows - 1)))]!;
    lines.push(
      `| ${s.completed} | ${f(s.seconds, 0)} | ${f(s.orchestratorPssMb)} | ${s.pools.map((p) => `g${p.generation}:${p.state} ${f(p.pssMb)}`).join(', ')} | ${f(s.treePssMb)} |`,
    );
  }
  lines.push('');
  lines.push(
    '| generation | pid | executions run | PSS first seen (MB) | peak PSS (MB) | growth while ACTIVE (MB per 1,000) |',
  );
  lines.push('|---|---|---|---|---|---|');
  for (const g of generations) {
    lines.push(
      `| ${g.generation} | ${g.pid} | ${g.jobs} | ${f(g.firstPssMb)} | ${f(g.peakPssMb)} | ${g.withinMbPer1000 === undefined ? '–' : f(g.withinMbPer1000, 2)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Steady state: executions ${Math.round(TOTAL * WARM_UP_FRACTION)}–${TOTAL}, ${steady.length} samples every ${SAMPLE_EVERY_MS / 1000} s.`,
  );
  lines.push(describe('Orchestrator', orchestrator));
  lines.push(describe('Whole tree', tree));
  if (acrossGenerations)
    lines.push(
      describe(
        'Pool process peak, generation to generation (per generation, not per execution)',
        acrossGenerations,
      ).replace(/per 1,000 executions/, 'per 1,000 generations'),
    );
  if (within.length) {
    lines.push(
      `Pool process while ACTIVE: median growth ${f(median(within), 2)} MB per 1,000 executions over ${within.length} generations (recycled every ${PER_PROCESS})`,
    );
  }
  const leak = orchestrator.growing || (acrossGenerations?.growing ?? false);
  lines.push('');
  lines.push(
    `Verdict: ${leak ? 'memory GROWS beyond noise — investigate' : 'no growth beyond noise in the orchestrator or from one pool generation to the next'}.`,
  );
  const text = lines.join('\n');
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('soak-latest.json', dir);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        machine: run.machine,
        loadAverageAtEnd: currentLoad(),
        settings: run.settings,
        executions: TOTAL,
        perProcess: PER_PROCESS,
        seconds: run.seconds,
        counts: run.counts,
        orchestrator,
        tree,
        acrossGenerations,
        generations,
        samples,
        durationSeconds: run.durationSeconds,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\n${text}\n\nWritten to ${file.pathname}\n`);
}

await main();
