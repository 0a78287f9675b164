/**
 * `npm run soak`: a thread-mode worker runs a long stream of executions (10,000 by default) on
 * the local stack, recycling its pool process every WORKER_MAX_EXECUTIONS_PER_PROCESS executions,
 * while the memory of its orchestrator and of each pool process is sampled (PSS for what they
 * cost, USS — private pages — for the verdict, since PSS also moves when other processes on the
 * machine map the same Node binary). Growth beyond noise is a leak: the verdict fits a line to
 * the orchestrator's floor (its lowest reading in each window, after garbage collection) over the
 * steady state, and to the peak of each pool process generation.
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
  ussMb: number;
}

interface Sample {
  seconds: number;
  completed: number;
  orchestratorPssMb: number;
  orchestratorUssMb: number;
  pools: PoolSample[];
  treePssMb: number;
  treeUssMb: number;
}

interface Generation {
  generation: number;
  pid: number;
  samples: number;
  executions: number;
  firstPssMb: number;
  peakPssMb: number;
  peakUssMb: number;
}

interface Verdict {
  fit: LinearFit;
  /** Rise the line predicts over the fitted span, in MB. */
  riseMb: number;
  /** Scatter of the points around the line (one standard deviation), in MB. */
  noiseMb: number;
  growing: boolean;
}

/**
 * Growth beyond noise: the line rises over the span by more than twice the scatter around it,
 * and its slope is more than three standard errors above zero.
 */
function verdict(xs: number[], ys: number[]): Verdict {
  const fit = linearFit(xs, ys);
  const riseMb = fit.slope * (Math.max(...xs) - Math.min(...xs));
  const growing = riseMb > 2 * fit.residualStd && fit.slope > 3 * fit.slopeStdErr;
  return { fit, riseMb, noiseMb: fit.residualStd, growing };
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
    WORKER_MAX_CONCURRENCY: '8',
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
            ussMb: detail.ussMb,
          });
        }
      }
      const sample: Sample = {
        seconds: (Date.now() - t0) / 1000,
        completed: finished,
        orchestratorPssMb: orchestrator.pssMb,
        orchestratorUssMb: orchestrator.ussMb,
        pools,
        treePssMb: orchestrator.pssMb + pools.reduce((sum, p) => sum + p.pssMb, 0),
        treeUssMb: orchestrator.ussMb + pools.reduce((sum, p) => sum + p.ussMb, 0),
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
  const f = (value: number, digits = 1): string =>
    Number.isFinite(value) ? value.toFixed(digits) : '–';
  const warmUp = Math.round(TOTAL * WARM_UP_FRACTION);
  const steady = samples.filter((s) => s.completed >= warmUp);

  // The orchestrator, window by window (one window per PER_PROCESS executions). Its heap grows
  // and shrinks with garbage collection, so the lowest reading of each window (the floor left
  // after a collection) is what a leak would raise.
  const windows: { from: number; floorUssMb: number; medianPssMb: number; floorPssMb: number }[] =
    [];
  for (let from = warmUp; from < TOTAL; from += PER_PROCESS) {
    const inside = steady.filter((s) => s.completed >= from && s.completed < from + PER_PROCESS);
    if (inside.length < 3) continue;
    windows.push({
      from,
      floorUssMb: Math.min(...inside.map((s) => s.orchestratorUssMb)),
      floorPssMb: Math.min(...inside.map((s) => s.orchestratorPssMb)),
      medianPssMb: median(inside.map((s) => s.orchestratorPssMb)),
    });
  }
  const orchestratorFloor = verdict(
    windows.map((w) => w.from),
    windows.map((w) => w.floorUssMb),
  );
  const orchestratorAll = verdict(
    steady.map((s) => s.completed),
    steady.map((s) => s.orchestratorUssMb),
  );

  // Pool processes, generation by generation: each starts fresh, so a later generation peaking
  // higher than an earlier one would mean something outside them (the orchestrator's messages,
  // say) makes them grow.
  const byGeneration = new Map<number, PoolSample[]>();
  for (const sample of samples) {
    for (const p of sample.pools) {
      byGeneration.set(p.generation, [...(byGeneration.get(p.generation) ?? []), p]);
    }
  }
  const generations: Generation[] = [...byGeneration.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([generation, points]) => ({
      generation,
      pid: points[0]!.pid,
      samples: points.length,
      executions: Math.max(...points.map((p) => p.jobsProcessed)),
      firstPssMb: points[0]!.pssMb,
      peakPssMb: Math.max(...points.map((p) => p.pssMb)),
      peakUssMb: Math.max(...points.map((p) => p.ussMb)),
    }));
  // Whole generations only: the last one may not have run its full share.
  const complete = generations.filter((g) => g.executions >= PER_PROCESS * 0.9);
  const pools =
    complete.length >= 3
      ? verdict(
          complete.map((g) => g.generation),
          complete.map((g) => g.peakUssMb),
        )
      : undefined;

  const describe = (v: Verdict, unit: string, per: number, perLabel: string): string =>
    `${v.growing ? 'GROWING' : 'flat'}: slope ${f(v.fit.slope * per, 2)} ± ${f(2 * v.fit.slopeStdErr * per, 2)} MB ${perLabel}, rise over the steady state ${f(v.riseMb)} MB against scatter ±${f(v.noiseMb)} MB (${unit})`;

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
    '| executions done | time (s) | orchestrator PSS (USS) MB | pool processes: generation state PSS (USS) MB | worker tree PSS MB |',
    '|---|---|---|---|---|',
  ];
  const rows = 21;
  for (let i = 0; i < rows; i++) {
    const s = samples[Math.round((i * (samples.length - 1)) / (rows - 1))]!;
    lines.push(
      `| ${s.completed} | ${f(s.seconds, 0)} | ${f(s.orchestratorPssMb)} (${f(s.orchestratorUssMb)}) | ${s.pools.map((p) => `g${p.generation} ${p.state} ${f(p.pssMb)} (${f(p.ussMb)})`).join(', ')} | ${f(s.treePssMb)} |`,
    );
  }
  lines.push('');
  lines.push('| executions | orchestrator PSS median | PSS floor | USS floor (MB) |');
  lines.push('|---|---|---|---|');
  for (const w of windows) {
    lines.push(
      `| ${w.from}–${w.from + PER_PROCESS} | ${f(w.medianPssMb)} | ${f(w.floorPssMb)} | ${f(w.floorUssMb)} |`,
    );
  }
  lines.push('');
  lines.push(
    '| pool generation | pid | executions run | PSS first seen (MB) | peak PSS (MB) | peak USS (MB) |',
  );
  lines.push('|---|---|---|---|---|---|');
  for (const g of generations) {
    lines.push(
      `| ${g.generation} | ${g.pid} | ${g.executions} | ${f(g.firstPssMb)} | ${f(g.peakPssMb)} | ${f(g.peakUssMb)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Steady state: executions ${warmUp}–${TOTAL}, ${steady.length} samples every ${SAMPLE_EVERY_MS / 1000} s. Verdicts use USS (private pages): a process's PSS also moves when other processes on the machine start or stop mapping the same Node binary.`,
  );
  lines.push(
    `Orchestrator, floor of each ${PER_PROCESS}-execution window: ${describe(orchestratorFloor, 'USS', 1000, 'per 1,000 executions')}`,
  );
  lines.push(
    `Orchestrator, every sample (garbage-collection sawtooth included): ${describe(orchestratorAll, 'USS', 1000, 'per 1,000 executions')}`,
  );
  if (pools) {
    lines.push(
      `Pool processes, peak per generation: ${describe(pools, 'USS', 1, 'per generation')}`,
    );
  }
  const leak = orchestratorFloor.growing || (pools?.growing ?? false);
  lines.push('');
  lines.push(
    `Verdict: ${leak ? 'memory GROWS beyond noise — a defect to find' : 'no growth beyond noise: the orchestrator’s floor stays level, and each pool generation peaks where the previous ones did'}.`,
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
        command: lines[3],
        machine: run.machine,
        loadAverageAtEnd: currentLoad(),
        settings: run.settings,
        executions: TOTAL,
        perProcess: PER_PROCESS,
        seconds: run.seconds,
        counts: run.counts,
        verdict: { leak, orchestratorFloor, orchestratorAll, pools },
        windows,
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
