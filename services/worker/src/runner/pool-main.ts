/**
 * Thread mode: the entry of a pool process. It keeps warm worker threads — one at least, more on
 * demand up to the pool size, idle ones stopped — packs each run onto the busiest healthy thread
 * with a free slot (memory follows the number of threads, not of executions), relays what the
 * threads report, and watches every thread's liveness from outside.
 *
 * A thread whose event loop stops turning is blocked. Its liveness buffer names the execution
 * whose code holds it: that one stays where it is and climbs the stuck ladder in the orchestrator;
 * its neighbours are sent back at once as collateral, to be retried on a healthy thread. A blocked
 * thread takes no new work. A thread that dies at its heap limit is handled the same way: the
 * execution that was running fails OutOfMemory, its neighbours are collateral.
 *
 * It never decides that anything is stuck and never exits by itself while the orchestrator is
 * there: the orchestrator keeps the clock and sends SIGTERM when this process has nothing healthy
 * left.
 */
import { Worker } from 'node:worker_threads';
import {
  LIVENESS,
  type ExecutionRef,
  type FromPool,
  type FromThread,
  type PoolOptions,
  type RunRequest,
  type RunResult,
  type ToPool,
  type ToThread,
} from '../protocol.js';
import { ThreadStacks } from './thread-stacks.js';

interface PlacedRun {
  request: RunRequest;
  tag: number;
}

interface ThreadSlot {
  worker: Worker;
  threadId: number;
  ready: boolean;
  /** Executions placed on this thread and not yet reported, by execution id. */
  runs: Map<string, PlacedRun>;
  /** Executions on this thread that were cancelled and have not stopped: no new work meanwhile. */
  cancelled: Set<string>;
  /** It runs an isolated execution: nothing else may join it. */
  exclusive: boolean;
  /** Its event loop stopped turning: it takes no new work, ever. */
  blocked: boolean;
  /** Asked to stop because it was idle. */
  exiting: boolean;
  liveness: Int32Array;
  lastTicks: number;
  lastTickAtMs: number;
  idleSinceMs: number;
  error?: Error & { code?: string };
}

import { replaceEnv } from './env.js';

const threadEntry = new URL('./thread-main.js', import.meta.url);
const threads = new Map<number, ThreadSlot>();
/** Runs accepted while no healthy thread had a free slot (a thread being replaced, say). */
const waiting: RunRequest[] = [];
const placement = new Map<string, number>();
const stacks = new ThreadStacks();
let options: PoolOptions | undefined;
let announced = false;
let draining = false;
let nextTag = 1;
const STACK_TIMEOUT_MS = 1500;
/** How often liveness is read; the thread ticks every 50 ms. */
const WATCH_MS = 100;
/** No tick for this long means the thread is not turning right now. */
const STILL_MS = 300;

const send = (message: FromPool): void => {
  if (process.connected) process.send?.(message);
};

const refOf = (run: PlacedRun): ExecutionRef => ({
  executionId: run.request.executionId,
  workflowId: run.request.workflowId,
});
const describeRef = (ref: ExecutionRef): string => `${ref.executionId} (${ref.workflowId})`;

function startThread(pool: PoolOptions): ThreadSlot {
  const buffer = new SharedArrayBuffer(LIVENESS.words * Int32Array.BYTES_PER_ELEMENT);
  const worker = new Worker(threadEntry, {
    resourceLimits: { maxOldGenerationSizeMb: pool.threadMaxHeapMb },
    workerData: { liveness: buffer },
  });
  const now = Date.now();
  const slot: ThreadSlot = {
    worker,
    threadId: worker.threadId,
    ready: false,
    runs: new Map(),
    cancelled: new Set(),
    exclusive: false,
    blocked: false,
    exiting: false,
    liveness: new Int32Array(buffer),
    lastTicks: 0,
    lastTickAtMs: now,
    idleSinceMs: now,
  };
  worker.on('message', (message: FromThread) => onThreadMessage(slot, message));
  worker.on('error', (error: Error) => (slot.error = error));
  worker.on('exit', (code) => onThreadExit(slot, code));
  threads.set(slot.threadId, slot);
  return slot;
}

function onThreadMessage(slot: ThreadSlot, message: FromThread): void {
  switch (message.type) {
    case 'ready':
      slot.ready = true;
      slot.lastTickAtMs = Date.now();
      if (!announced) {
        announced = true;
        send({ type: 'ready', threadIds: [...threads.keys()] });
      }
      break;
    case 'started':
      if (!slot.runs.has(message.executionId)) return;
      send({ type: 'started', executionId: message.executionId, threadId: slot.threadId });
      return;
    case 'log':
      if (slot.runs.has(message.executionId)) send(message);
      return;
    case 'result':
      // A collateral execution already handed back reports nothing more.
      if (!slot.runs.delete(message.executionId)) return;
      slot.cancelled.delete(message.executionId);
      placement.delete(message.executionId);
      send({ ...message, threadId: slot.threadId });
      if (slot.runs.size === 0) {
        slot.exclusive = false;
        slot.idleSinceMs = Date.now();
        // A thread that once blocked is not trusted with new work: it goes once it is empty.
        if (slot.blocked) stopThread(slot);
      }
      break;
  }
  placeWaiting();
}

function stopThread(slot: ThreadSlot): void {
  if (slot.exiting) return;
  slot.exiting = true;
  slot.worker.postMessage({ type: 'exit' } satisfies ToThread);
}

/** The execution whose code runs on the thread right now, from its liveness buffer. */
function holder(slot: ThreadSlot): PlacedRun | undefined {
  const tag = Atomics.load(slot.liveness, LIVENESS.current);
  if (!tag) return undefined;
  for (const run of slot.runs.values()) if (run.tag === tag) return run;
  return undefined;
}

/** Sends back every execution on the thread but the culprit, to be retried elsewhere. */
function releaseCollateral(
  slot: ThreadSlot,
  culprit: PlacedRun | undefined,
  why: string,
): ExecutionRef[] {
  const collateral: ExecutionRef[] = [];
  for (const [executionId, run] of slot.runs) {
    if (run === culprit) continue;
    slot.runs.delete(executionId);
    slot.cancelled.delete(executionId);
    placement.delete(executionId);
    collateral.push(refOf(run));
    const result: RunResult = {
      ok: false,
      error: {
        kind: 'collateral',
        name: 'Collateral',
        message: culprit
          ? `${why} by execution ${describeRef(refOf(culprit))}, which shared it`
          : `${why}; the execution responsible could not be told apart`,
        ...(culprit ? { culprit: refOf(culprit) } : {}),
      },
    };
    send({ type: 'result', executionId, threadId: slot.threadId, result });
  }
  return collateral;
}

/** Marks the thread blocked and sends its neighbours back; resolves once its stack is read. */
function onBlocked(slot: ThreadSlot, blockedMs: number): Promise<void> {
  slot.blocked = true;
  const culprit = holder(slot);
  // Without a culprit nobody can be cleared: every execution on it stays on the ladder.
  const collateral = culprit
    ? releaseCollateral(slot, culprit, `thread ${slot.threadId} was blocked`)
    : [];
  send({
    type: 'thread_blocked',
    threadId: slot.threadId,
    culprit: culprit?.request.executionId,
    collateral,
    blockedMs,
  });
  placeWaiting();
  if (!culprit) return Promise.resolve();
  const executionId = culprit.request.executionId;
  return stacks
    .stackOf(slot.threadId, STACK_TIMEOUT_MS)
    .then((stack) => {
      if (stack?.length)
        send({ type: 'thread_stack', threadId: slot.threadId, executionId, stack });
    })
    .catch(() => {});
}

function onThreadExit(slot: ThreadSlot, code: number): void {
  threads.delete(slot.threadId);
  const oom = slot.error?.code === 'ERR_WORKER_OUT_OF_MEMORY';
  const reason = oom
    ? `thread ${slot.threadId} exceeded its heap limit of ${options?.threadMaxHeapMb} MB`
    : `thread ${slot.threadId} exited (code ${code})${slot.error ? `: ${slot.error.name}: ${slot.error.message}` : ''}`;
  if (oom) {
    const culprit = holder(slot);
    const onThread = [...slot.runs.values()].map((run) => run.request.workflowId);
    const collateral = releaseCollateral(slot, culprit, `thread ${slot.threadId} ran out of heap`);
    if (culprit) {
      send({
        type: 'result',
        executionId: culprit.request.executionId,
        threadId: slot.threadId,
        result: {
          ok: false,
          error: {
            kind: 'oom',
            name: 'OutOfMemory',
            message: `${reason} while running this execution; on the thread: ${onThread.join(', ')}`,
            collateral,
          },
        },
      });
    }
  } else {
    for (const [executionId] of slot.runs) {
      placement.delete(executionId);
      send({
        type: 'result',
        executionId,
        threadId: slot.threadId,
        result: { ok: false, error: { kind: 'lost', name: 'ThreadExited', message: reason } },
      });
    }
  }
  slot.runs.clear();
  // Keep one thread warm; more start on demand.
  const replacement =
    !draining && !slot.exiting && options && liveThreads() === 0 ? startThread(options) : undefined;
  if (!slot.exiting || code !== 0) {
    send({
      type: 'thread_exited',
      threadId: slot.threadId,
      reason,
      replacementThreadId: replacement?.threadId,
    });
  }
  placeWaiting();
}

/** Threads that may still take work: not blocked, not stopping. */
function liveThreads(): number {
  let count = 0;
  for (const slot of threads.values()) if (!slot.blocked && !slot.exiting) count++;
  return count;
}

/** Threads counted against the pool size: a blocked one still holds its memory. */
function countedThreads(): number {
  let count = 0;
  for (const slot of threads.values()) if (!slot.exiting) count++;
  return count;
}

/**
 * Where a run goes: an isolated run needs a thread of its own; any other joins the busiest thread
 * that still has a free slot (fewest threads, least memory), else a new thread if the pool may
 * grow. Never a blocked, stopping or exclusive thread, nor one with an execution refusing to stop.
 */
function pickThread(pool: PoolOptions, request: RunRequest): ThreadSlot | undefined {
  let best: ThreadSlot | undefined;
  for (const slot of threads.values()) {
    if (slot.blocked || slot.exiting || slot.exclusive || slot.cancelled.size > 0) continue;
    if (request.isolate ? slot.runs.size > 0 : slot.runs.size >= pool.executionsPerThread) continue;
    if (!best || slot.runs.size > best.runs.size) best = slot;
  }
  if (best) return best;
  return countedThreads() < pool.threads ? startThread(pool) : undefined;
}

function place(request: RunRequest): boolean {
  if (!options) return false;
  const slot = pickThread(options, request);
  if (!slot) return false;
  const tag = nextTag++;
  slot.runs.set(request.executionId, { request, tag });
  if (request.isolate) slot.exclusive = true;
  placement.set(request.executionId, slot.threadId);
  slot.worker.postMessage({ type: 'run', request, tag } satisfies ToThread);
  return true;
}

function placeWaiting(): void {
  while (waiting.length && !draining && place(waiting[0]!)) waiting.shift();
}

/** Reads every thread's liveness; also stops threads idle for too long (one stays warm). */
function watch(): void {
  if (!options) return;
  const now = Date.now();
  for (const slot of threads.values()) {
    if (!slot.ready || slot.exiting) continue;
    const ticks = Atomics.load(slot.liveness, LIVENESS.ticks);
    if (ticks !== slot.lastTicks) {
      slot.lastTicks = ticks;
      slot.lastTickAtMs = now;
    } else if (
      !slot.blocked &&
      slot.runs.size > 0 &&
      now - slot.lastTickAtMs >= options.threadBlockedMs
    ) {
      void onBlocked(slot, now - slot.lastTickAtMs);
    }
    if (
      !slot.blocked &&
      slot.runs.size === 0 &&
      now - slot.idleSinceMs >= options.threadIdleMs &&
      liveThreads() > 1
    ) {
      stopThread(slot);
    }
  }
}

process.on('message', (message: ToPool) => {
  switch (message.type) {
    case 'init': {
      options = message.options;
      startThread(options);
      setInterval(watch, WATCH_MS);
      return;
    }
    case 'run':
      if (draining || !place(message.request)) waiting.push(message.request);
      if (draining) placeDrained();
      return;
    case 'cancel': {
      const queued = waiting.findIndex((r) => r.executionId === message.executionId);
      if (queued >= 0) {
        waiting.splice(queued, 1);
        send({
          type: 'result',
          executionId: message.executionId,
          result: {
            ok: false,
            error: { kind: 'aborted', name: 'CancellationError', message: message.reason },
          },
        });
        return;
      }
      const threadId = placement.get(message.executionId);
      const slot = threadId === undefined ? undefined : threads.get(threadId);
      if (!slot) return;
      slot.cancelled.add(message.executionId);
      slot.worker.postMessage(message satisfies ToThread);
      return;
    }
    case 'drain':
      draining = true;
      placeDrained();
      return;
    case 'env':
      // Threads started later copy this process's environment; running ones are told.
      replaceEnv(message.env);
      for (const slot of threads.values()) slot.worker.postMessage(message);
      return;
    case 'verdict': {
      const { executionId } = message;
      void checkHolder(executionId).then(() => send({ type: 'verdict', executionId }));
      return;
    }
  }
});

/**
 * The orchestrator is about to declare an execution stuck. If its thread is not turning right now,
 * the thread is declared blocked at once, blaming the execution whose code holds it: when that is
 * another one, this execution goes back as collateral; when it is this one, its neighbours do, and
 * its stack is read before the answer so that the stuck record carries it.
 */
async function checkHolder(executionId: string): Promise<void> {
  const threadId = placement.get(executionId);
  const slot = threadId === undefined ? undefined : threads.get(threadId);
  if (!slot || slot.blocked || !options) return;
  const now = Date.now();
  const ticks = Atomics.load(slot.liveness, LIVENESS.ticks);
  if (ticks !== slot.lastTicks) {
    slot.lastTicks = ticks;
    slot.lastTickAtMs = now;
    return;
  }
  if (now - slot.lastTickAtMs < STILL_MS || !holder(slot)) return;
  await onBlocked(slot, now - slot.lastTickAtMs);
}

/** A draining pool starts nothing new: runs still waiting go back to the orchestrator. */
function placeDrained(): void {
  if (!waiting.length) return;
  send({ type: 'handback', executionIds: waiting.splice(0).map((r) => r.executionId) });
}

// The orchestrator is gone: nobody can record results any more, and its messages will return to
// the queue. Exiting also ends any thread that is spinning or blocked.
process.on('disconnect', () => {
  stacks.close();
  process.exit(0);
});
