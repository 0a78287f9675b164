/**
 * `npm run bench:rollout`: how long GET /api/platform/rollout takes to read and compute a window
 * of 100,000 executions (50,000 per mode) and a day's heartbeats of 10 workers per mode, on the
 * embedded DynamoDB emulator. Seeds terminal records shaped as workers write them (logs and
 * output included, so the base table rows are realistic; the byModeFinished index holds only
 * the attributes the comparison reads), then times readRollout — the function the route calls —
 * with the window split into 1 and 8 parallel time slices.
 *
 * Options: --executions N (default 100000). Prints figures; asserts only that every seeded
 * execution was read.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR_TYPES, iso, type ExecutionRecord, type WorkerMode } from '@warden/core';
import { readRollout } from '@warden/functions';
import { startTestStack } from '../test/support/stack.js';
import { describeMachine, machineLine } from './lib/machine.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const EXECUTIONS = arg('--executions', 100_000);
const WORKERS_PER_MODE = 10;
const HEARTBEAT_S = 10;
const WINDOW_MIN = 60;
const RUNS = 3;
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

const machine = describeMachine();
const stack = await startTestStack();
const now = Date.now();
const from = now - WINDOW_MIN * 60_000;

async function writeAll(table: string, items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  // A few writers at once; unprocessed items are retried.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        let batch = batches[next++]!;
        while (batch.length) {
          const result = await stack.clients.dynamo.send(
            new BatchWriteCommand({
              RequestItems: { [table]: batch.map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
          batch = (result.UnprocessedItems?.[table] ?? []).map(
            (request) => request.PutRequest!.Item as Record<string, unknown>,
          );
        }
      }
    }),
  );
}

const modes: WorkerMode[] = ['process', 'thread'];
const seedStarted = performance.now();
const executions: ExecutionRecord[] = Array.from({ length: EXECUTIONS }, (_, i) => {
  const mode = modes[i % 2]!;
  const finished = from + 1000 + Math.floor(((now - from - 2000) * i) / EXECUTIONS);
  const failed = i % 50 === 0;
  return {
    executionId: `bench-${i}`,
    workflowId: 'echo',
    status: failed ? 'FAILED' : 'SUCCESS',
    ...(failed ? { errorType: ERROR_TYPES[i % 3]!, errorMessage: 'seeded failure' } : {}),
    queuedAt: iso(finished - 400),
    startedAt: iso(finished - 300),
    finishedAt: iso(finished),
    queueTimeMs: 100 + (i % 97),
    durationMs: 300 + (i % 1009),
    attempt: 1,
    workerId: `${mode}-${i % WORKERS_PER_MODE}`,
    pid: 1000 + (i % 50),
    generation: 1,
    input: { n: i },
    output: { echo: i },
    logs: ['started', 'working on it', 'done'],
    mode,
    version: '1.0.0',
    expiresAt: Math.floor(now / 1000) + 86_400,
  };
});
await writeAll(stack.tables.Executions, executions as unknown as Record<string, unknown>[]);
const samples: Record<string, unknown>[] = [];
for (const mode of modes) {
  for (let w = 0; w < WORKERS_PER_MODE; w++) {
    for (let t = from + 500; t < now; t += HEARTBEAT_S * 1000) {
      const at = iso(t);
      samples.push({
        mode,
        sampleKey: `${at}#${mode}-${w}#heartbeat#000`,
        at,
        workerId: `${mode}-${w}`,
        version: '1.0.0',
        kind: 'heartbeat',
        inFlight: 1 + (w % 4),
        memoryMb: mode === 'thread' ? 180 : 400,
        memoryKind: 'pss',
      });
    }
  }
}
await writeAll(stack.tables.WorkerSamples, samples);
log(
  `seeded ${EXECUTIONS} executions and ${samples.length} samples in ${Math.round((performance.now() - seedStarted) / 1000)} s`,
);

const results: { segments: number; ms: number[] }[] = [];
for (const segments of [1, 8]) {
  const ms: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const report = await readRollout(stack.repos, () => now, WINDOW_MIN, { segments });
    ms.push(Math.round(performance.now() - started));
    const read = report.modes.process.executions + report.modes.thread.executions;
    if (read !== EXECUTIONS) throw new Error(`read ${read} executions, seeded ${EXECUTIONS}`);
  }
  results.push({ segments, ms });
}
await stack.stop();

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
process.stdout.write(
  [
    `Rollout comparison over ${EXECUTIONS.toLocaleString('en')} executions and ${samples.length.toLocaleString('en')} heartbeat samples in a ${WINDOW_MIN}-minute window (embedded DynamoDB emulator)`,
    machineLine(machine),
    ...results.map(
      (r) =>
        `  ${r.segments} time slice${r.segments > 1 ? 's' : ''} per mode: median ${median(r.ms)} ms (runs: ${r.ms.join(', ')} ms), ${Math.round(EXECUTIONS / (median(r.ms) / 1000)).toLocaleString('en')} executions/s`,
    ),
    '',
  ].join('\n'),
);
