/**
 * What the pool process's young-generation cap (WORKER_POOL_SEMI_SPACE_MB) costs code that
 * allocates a lot: a worker thread in a `node --max-semi-space-size=<n>` process — as a pool
 * thread inherits it — parses, rebuilds and serializes a 200 KB JSON document 100 times a round.
 * The settings take turns, three processes each, so that the machine's other work falls on all of
 * them alike. Printed: the median round and the young generation the thread ended with. The I/O-bound executions of
 * the memory table barely notice the cap; this is the other end.
 */
import { spawnSync } from 'node:child_process';
import { median } from './stats.js';

export interface YoungGenerationRun {
  semiSpaceMb: number;
  /** Median over every round of every process, each process's warm-up round left out. */
  roundMs: number;
  /** Physical size of the thread's new space at the end. */
  newSpaceMb: number;
}

const THREAD_CODE = `
const { parentPort } = require('node:worker_threads');
const v8 = require('node:v8');
const doc = { items: Array.from({ length: 2000 }, (_, i) => ({ id: 'item-' + i, n: i, tags: ['a', 'b', String(i)], nested: { x: i * 2, y: 'y' + i } })) };
const text = JSON.stringify(doc);
const round = () => {
  let size = 0;
  for (let k = 0; k < 100; k++) {
    const parsed = JSON.parse(text);
    parsed.items = parsed.items.map((item) => ({ ...item, z: item.n + 1 }));
    size += JSON.stringify(parsed).length;
  }
  return size;
};
round();
const times = [];
for (let r = 0; r < 5; r++) { const t = performance.now(); round(); times.push(performance.now() - t); }
const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
parentPort.postMessage({ times, newSpace: space.physical_space_size });
`;

const PROCESS_CODE = `
const { Worker } = require('node:worker_threads');
const worker = new Worker(${JSON.stringify(THREAD_CODE)}, { eval: true });
worker.on('message', (m) => { process.stdout.write(JSON.stringify(m)); });
`;

function runOnce(semiSpaceMb: number): { times: number[]; newSpace: number } {
  const out = spawnSync(
    process.execPath,
    [`--max-semi-space-size=${semiSpaceMb}`, '-e', PROCESS_CODE],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (out.status !== 0) {
    throw new Error(`young-generation run (${semiSpaceMb} MB) failed: ${out.stderr}`);
  }
  return JSON.parse(out.stdout) as { times: number[]; newSpace: number };
}

export function measureYoungGeneration(
  semiSpaces = [1, 2, 4, 16],
  processes = 3,
): YoungGenerationRun[] {
  const times = new Map<number, number[]>(semiSpaces.map((mb) => [mb, []]));
  const newSpace = new Map<number, number>();
  for (let i = 0; i < processes; i++) {
    for (const mb of semiSpaces) {
      const result = runOnce(mb);
      times.get(mb)!.push(...result.times);
      newSpace.set(mb, Math.max(newSpace.get(mb) ?? 0, result.newSpace));
    }
  }
  return semiSpaces.map((semiSpaceMb) => ({
    semiSpaceMb,
    roundMs: median(times.get(semiSpaceMb)!),
    newSpaceMb: newSpace.get(semiSpaceMb)! / 1024 / 1024,
  }));
}

export function renderYoungGeneration(runs: YoungGenerationRun[]): string[] {
  const base = runs.find((r) => r.semiSpaceMb === 16) ?? runs.at(-1)!;
  return [
    'Young-generation cap of pool processes (WORKER_POOL_SEMI_SPACE_MB): one thread parsing, rebuilding and serializing a 200 KB JSON document 100 times a round (median of 15 rounds in 3 processes)',
    '',
    '| semi-space | time per round | vs 16 MB (V8’s ceiling) | thread’s new space at the end |',
    '|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.semiSpaceMb} MB | ${r.roundMs.toFixed(0)} ms | ${((100 * r.roundMs) / base.roundMs).toFixed(0)} % | ${r.newSpaceMb.toFixed(1)} MB |`,
    ),
  ];
}
