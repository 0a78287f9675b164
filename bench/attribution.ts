/**
 * The cost of knowing which execution holds a thread: every pool thread runs an async hook that
 * stamps each resource (timer, I/O, promise) with the tag of the execution whose code created it
 * and, before each callback, writes that tag into the thread's liveness buffer (as
 * `runner/thread-main.ts` does). This measures that hook in worker threads, with and without it,
 * on the same work:
 *
 * - promise continuations: an execution awaiting resolved promises (the hook's worst case: the
 *   work per callback is nothing);
 * - timers: an execution awaiting zero-delay timers;
 * - a no-op execution's own path: one async call started under its tag, as the thread does per run.
 *
 *   npx tsx bench/attribution.ts            # prints ns per callback, with and without, and the ratio
 */
import { Worker } from 'node:worker_threads';

const ROUNDS = 5;

const body = (withHook: boolean) => `
const { parentPort } = require('node:worker_threads');
const { createHook, executionAsyncResource } = require('node:async_hooks');
const { setTimeout: sleep } = require('node:timers/promises');
const liveness = new Int32Array(new SharedArrayBuffer(8));
const TAG = Symbol('tag');
const running = [];
const current = () => running.at(-1) ?? 0;
const enter = (tag) => { running.push(tag); Atomics.store(liveness, 1, tag); };
const leave = () => { running.pop(); Atomics.store(liveness, 1, current()); };
if (${withHook}) {
  createHook({
    init(_id, _type, _trigger, resource) { const tag = current(); if (tag) resource[TAG] = tag; },
    before() { enter(executionAsyncResource()[TAG] ?? 0); },
    after: leave,
  }).enable();
}
const under = (tag, fn) => { enter(tag); try { return fn(); } finally { leave(); } };
async function measure(label, count, perRun, fn) {
  const started = process.hrtime.bigint();
  const runs = [];
  for (let i = 0; i < count; i++) runs.push(under(i + 1, fn));
  await Promise.all(runs);
  const ns = Number(process.hrtime.bigint() - started);
  return [label, ns / (count * perRun)];
}
(async () => {
  const results = [];
  results.push(await measure('promise continuation', 2000, 500, async () => {
    for (let i = 0; i < 500; i++) await Promise.resolve(i);
  }));
  results.push(await measure('timer callback', 200, 20, async () => {
    for (let i = 0; i < 20; i++) await sleep(0);
  }));
  results.push(await measure('no-op execution', 50000, 1, async () => JSON.stringify({ ok: true })));
  parentPort.postMessage(results);
})();
`;

function run(withHook: boolean): Promise<[string, number][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(body(withHook), { eval: true });
    worker.once('message', (results: [string, number][]) => {
      resolve(results);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

const without = new Map<string, number[]>();
const withIt = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  // Alternate, one at a time, so both see the same machine.
  for (const [hook, into] of [
    [false, without],
    [true, withIt],
  ] as const) {
    for (const [label, ns] of await run(hook)) into.set(label, [...(into.get(label) ?? []), ns]);
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
process.stdout.write(
  `Attribution hook overhead (median of ${ROUNDS} rounds, ns per callback)\n\n` +
    '| work | without | with the hook | added per callback | ratio |\n|---|---|---|---|---|\n',
);
for (const [label, values] of without) {
  const a = median(values);
  const b = median(withIt.get(label)!);
  process.stdout.write(
    `| ${label} | ${a.toFixed(0)} ns | ${b.toFixed(0)} ns | ${(b - a).toFixed(0)} ns | ${(b / a).toFixed(2)}× |\n`,
  );
}
