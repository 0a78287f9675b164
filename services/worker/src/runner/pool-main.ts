/**
 * Thread mode: the entry of a pool process. It keeps a fixed set of warm worker threads, places
 * each run on the least busy healthy thread, relays what the threads report, and replaces a thread
 * that dies (a heap overflow fails only that thread's executions). It never decides that anything
 * is stuck and never exits by itself while the orchestrator is there: the orchestrator keeps the
 * clock and sends SIGTERM when this process has nothing healthy left.
 */
import { Worker } from 'node:worker_threads';
import type {
  FromPool,
  FromThread,
  PoolOptions,
  RunErrorKind,
  RunRequest,
  ToPool,
} from '../protocol.js';

interface ThreadSlot {
  worker: Worker;
  threadId: number;
  ready: boolean;
  /** Executions placed on this thread and not yet reported. */
  runs: Set<string>;
  /** Executions on this thread that were cancelled and have not stopped: no new work meanwhile. */
  cancelled: Set<string>;
  error?: Error & { code?: string };
}

import { replaceEnv } from './env.js';

const threadEntry = new URL('./thread-main.js', import.meta.url);
const threads = new Map<number, ThreadSlot>();
/** Runs accepted while no healthy thread had a free slot (a thread being replaced, say). */
const waiting: RunRequest[] = [];
const placement = new Map<string, number>();
let options: PoolOptions | undefined;
let announced = false;
let draining = false;

const send = (message: FromPool): void => {
  if (process.connected) process.send?.(message);
};

function startThread(pool: PoolOptions): ThreadSlot {
  const worker = new Worker(threadEntry, {
    resourceLimits: { maxOldGenerationSizeMb: pool.threadMaxHeapMb },
  });
  const slot: ThreadSlot = {
    worker,
    threadId: worker.threadId,
    ready: false,
    runs: new Set(),
    cancelled: new Set(),
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
      if (!announced && [...threads.values()].every((t) => t.ready)) {
        announced = true;
        send({ type: 'ready', threadIds: [...threads.keys()] });
      }
      break;
    case 'started':
      send({ type: 'started', executionId: message.executionId, threadId: slot.threadId });
      return;
    case 'log':
      send(message);
      return;
    case 'result':
      slot.runs.delete(message.executionId);
      slot.cancelled.delete(message.executionId);
      placement.delete(message.executionId);
      send({ ...message, threadId: slot.threadId });
      break;
  }
  placeWaiting();
}

function onThreadExit(slot: ThreadSlot, code: number): void {
  threads.delete(slot.threadId);
  const oom = slot.error?.code === 'ERR_WORKER_OUT_OF_MEMORY';
  const kind: RunErrorKind = oom ? 'oom' : 'lost';
  const reason = oom
    ? `thread ${slot.threadId} exceeded its heap limit of ${options?.threadMaxHeapMb} MB`
    : `thread ${slot.threadId} exited (code ${code})${slot.error ? `: ${slot.error.name}: ${slot.error.message}` : ''}`;
  for (const executionId of slot.runs) {
    placement.delete(executionId);
    send({
      type: 'result',
      executionId,
      threadId: slot.threadId,
      result: {
        ok: false,
        error: { kind, name: oom ? 'OutOfMemory' : 'ThreadExited', message: reason },
      },
    });
  }
  const replacement = !draining && options ? startThread(options) : undefined;
  send({
    type: 'thread_exited',
    threadId: slot.threadId,
    reason,
    replacementThreadId: replacement?.threadId,
  });
}

/** The least busy ready thread with a free slot and no execution refusing to stop. */
function pickThread(pool: PoolOptions): ThreadSlot | undefined {
  let best: ThreadSlot | undefined;
  for (const slot of threads.values()) {
    if (!slot.ready || slot.cancelled.size > 0 || slot.runs.size >= pool.executionsPerThread) {
      continue;
    }
    if (!best || slot.runs.size < best.runs.size) best = slot;
  }
  return best;
}

function place(request: RunRequest): boolean {
  if (!options) return false;
  const slot = pickThread(options);
  if (!slot) return false;
  slot.runs.add(request.executionId);
  placement.set(request.executionId, slot.threadId);
  slot.worker.postMessage({ type: 'run', request });
  return true;
}

function placeWaiting(): void {
  while (waiting.length && !draining && place(waiting[0]!)) waiting.shift();
}

process.on('message', (message: ToPool) => {
  switch (message.type) {
    case 'init':
      options = message.options;
      for (let i = 0; i < options.threads; i++) startThread(options);
      return;
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
      slot.worker.postMessage(message);
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
  }
});

/** A draining pool starts nothing new: runs still waiting go back to the orchestrator. */
function placeDrained(): void {
  if (!waiting.length) return;
  send({ type: 'handback', executionIds: waiting.splice(0).map((r) => r.executionId) });
}

// The orchestrator is gone: nobody can record results any more, and its messages will return to
// the queue. Exiting also ends any thread that is spinning or blocked.
process.on('disconnect', () => process.exit(0));
