/**
 * The stuck ladder's rules on a fake clock, with a stand-in executor that records what the ladder
 * asks of it. (The integration suites run the same ladder against real spinning threads.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@warden/core';
import { SupervisedExecutor, type TrackedRun } from '../src/executors/supervised-executor.js';
import type { ExecutionOutcome, StuckInfo } from '../src/executors/types.js';
import type { WorkflowCatalog } from '../src/catalog.js';
import type { RunResult } from '../src/protocol.js';

class StandIn extends SupervisedExecutor {
  readonly mode = 'thread' as const;
  placed: TrackedRun[] = [];
  cancelled: string[] = [];
  contained: string[] = [];
  async start() {}
  freeSlots() {
    return this.options.maxConcurrency - this.healthyCount();
  }
  snapshot() {
    return [];
  }
  recycle() {
    return { status: 'REJECTED' as const, outcome: 'not here' };
  }
  async stop() {}
  protected place(run: TrackedRun) {
    this.placed.push(run);
  }
  protected cancel(_run: TrackedRun, reason: string) {
    this.cancelled.push(reason);
  }
  protected contain(run: TrackedRun) {
    this.contained.push(run.job.executionId);
  }
  report(result: RunResult, index = 0) {
    this.settle(this.placed[index]!, result);
  }
}

const executor = () =>
  new StandIn({
    catalog: {} as WorkflowCatalog,
    logger: createLogger('test', 'silent'),
    maxConcurrency: 2,
    cancelGraceMs: 1000,
    killCapMs: 1000,
    threadMaxHeapMb: 64,
    threadPoolSize: 2,
    executionsPerThread: 1,
    maxExecutionsPerProcess: 100,
    maxProcessMemoryMb: 1024,
  });

const job = { executionId: 'e1', workflowId: 'w', input: null, attempt: 1, timeoutMs: 2000 };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the stuck ladder', () => {
  it('delivers a result that comes in time, and never cancels', async () => {
    const ex = executor();
    const outcome = ex.execute(job, { onStuck: async () => {} });
    ex.report({ ok: true, outputJson: '{"n":1}' });
    expect(await outcome).toMatchObject({ status: 'SUCCESS', output: { n: 1 } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ex.cancelled).toEqual([]);
  });

  it('cancels at the timeout; stopping within the grace is ExecutionTimeout, not stuck', async () => {
    const ex = executor();
    const onStuck = vi.fn(async () => {});
    const outcome = ex.execute(job, { onStuck });
    await vi.advanceTimersByTimeAsync(2000);
    expect(ex.cancelled).toEqual(['the execution timed out after 2 s']);
    await vi.advanceTimersByTimeAsync(300);
    ex.report({ ok: false, error: { kind: 'aborted', name: 'AbortError', message: 'aborted' } });
    const result = (await outcome) as Extract<ExecutionOutcome, { status: 'FAILED' }>;
    expect(result).toMatchObject({ status: 'FAILED', errorType: 'ExecutionTimeout' });
    expect(result.errorMessage).toBe(
      'exceeded its 2 s timeout and stopped 0.3 s after cancellation (AbortError: aborted)',
    );
    await vi.advanceTimersByTimeAsync(5000);
    expect(onStuck).not.toHaveBeenCalled();
  });

  it('records a stuck execution before containing it, then ignores anything it says later', async () => {
    const ex = executor();
    let recorded!: () => void;
    const infos: StuckInfo[] = [];
    const outcome = ex.execute(job, {
      onStuck: (info) => {
        infos.push(info);
        return new Promise<void>((resolve) => (recorded = resolve));
      },
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(infos).toHaveLength(1);
    expect(infos[0]!.message).toBe(
      'did not respond to cancellation within the 1 s grace period: cancelled at its 2 s timeout, still running 3 s after it started',
    );
    // While the record is being written nothing is killed, and a late result changes nothing.
    expect(ex.contained).toEqual([]);
    ex.report({ ok: true, outputJson: '1' });
    expect(ex.freeSlots()).toBe(2);
    recorded();
    expect(await outcome).toEqual({ status: 'STUCK', elapsedMs: 3000 });
    expect(ex.contained).toEqual(['e1']);
  });

  it('names a heap overflow OutOfMemory with the limit', async () => {
    const ex = executor();
    const outcome = ex.execute(job, { onStuck: async () => {} });
    ex.report({
      ok: false,
      error: {
        kind: 'oom',
        name: 'OutOfMemory',
        message: 'thread 3 exceeded its heap limit of 64 MB',
      },
    });
    expect(await outcome).toMatchObject({
      status: 'FAILED',
      errorType: 'OutOfMemory',
      errorMessage:
        'ran out of memory: thread 3 exceeded its heap limit of 64 MB (WORKER_THREAD_MAX_HEAP_MB=64)',
    });
  });
});
