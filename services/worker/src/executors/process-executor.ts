/**
 * Process mode (USE_THREAD_WORKERS=false, the baseline): a fresh child process per execution,
 * forked for it and gone when it ends. Containment is simple: a stuck child is killed once its
 * stuck record is written.
 */
import type { ProcessSnapshot } from '@warden/core';
import type { FromChild, ToChild } from '../protocol.js';
import { forkRunner, sendTo, terminate, type ForkedProcess } from './child-processes.js';
import { SupervisedExecutor, type RunnerProcess, type TrackedRun } from './supervised-executor.js';
import { recycleRefusal, type RecycleResult } from './types.js';

const CHILD_ENTRY = new URL('../runner/child-main.js', import.meta.url);
const STDERR_TAIL_CHARS = 4096;

interface Child extends RunnerProcess {
  run: TrackedRun;
  stderrTail: string;
}

export class ProcessExecutor extends SupervisedExecutor {
  readonly mode = 'process' as const;
  private readonly children = new Map<number, Child>();
  private readonly childOf = new Map<string, Child>();
  private generation = 0;

  async start(): Promise<void> {}

  protected override liveProcesses(): ForkedProcess[] {
    return [...this.children.values()].map((child) => child.process);
  }

  freeSlots(): number {
    if (this.stopping) return 0;
    return Math.max(0, this.options.maxConcurrency - this.healthyCount());
  }

  protected place(run: TrackedRun): void {
    const generation = ++this.generation;
    const forked = forkRunner(CHILD_ENTRY, {
      env: this.runnerEnv(),
      // The same heap ceiling a pool thread gets, so a memory hog fails the same way in both modes.
      execArgv: [`--max-old-space-size=${this.options.threadMaxHeapMb}`],
      captureStderr: true,
    });
    const now = Date.now();
    const child: Child = {
      process: forked,
      pid: forked.pid,
      generation,
      state: 'ACTIVE',
      stateSince: new Date(now).toISOString(),
      startedAt: new Date(now).toISOString(),
      startedAtMs: now,
      run,
      stderrTail: '',
    };
    this.children.set(child.pid, child);
    this.childOf.set(run.job.executionId, child);
    this.emit({
      type: 'process_state',
      pid: child.pid,
      generation,
      from: null,
      to: 'ACTIVE',
      reason: `started for execution ${run.job.executionId}`,
    });
    forked.child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      child.stderrTail = (child.stderrTail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
    });
    forked.child.on('message', (message: FromChild) => this.onMessage(child, message));
    forked.child.on('error', (error) =>
      this.options.logger.error({ err: error, pid: child.pid }, 'execution process error'),
    );
    void forked.exited.then(({ code, signal }) => this.onExit(child, code, signal));
    sendTo(forked.child, {
      type: 'run',
      request: {
        executionId: run.job.executionId,
        workflowId: run.job.workflowId,
        moduleUrl: this.moduleUrlOf(run.job.workflowId),
        input: run.job.input,
        attempt: run.job.attempt,
      },
    } satisfies ToChild);
  }

  private onMessage(child: Child, message: FromChild): void {
    const { run } = child;
    switch (message.type) {
      case 'started':
        run.placement = { pid: child.pid, generation: child.generation };
        run.hooks.onStarted?.(run.placement);
        return;
      case 'log':
        run.addLog(message.line);
        return;
      case 'result':
        this.settle(run, message.result);
        return;
    }
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(child.pid);
    this.childOf.delete(child.run.job.executionId);
    const { run } = child;
    if (this.stopping) {
      this.abandon(run, 'the worker stopped before the execution finished');
    } else {
      const oom =
        signal === 'SIGABRT' ||
        code === 134 ||
        /heap out of memory|Reached heap limit/i.test(child.stderrTail);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      this.settle(run, {
        ok: false,
        error: oom
          ? {
              kind: 'oom',
              name: 'OutOfMemory',
              message: `its process (pid ${child.pid}) exceeded its heap limit of ${this.options.threadMaxHeapMb} MB`,
            }
          : {
              kind: 'lost',
              name: 'ProcessExited',
              message: `its process (pid ${child.pid}) exited (${how}) before reporting a result`,
            },
      });
    }
    this.emit({
      type: 'process_state',
      pid: child.pid,
      generation: child.generation,
      from: child.state,
      to: null,
      reason: signal ? `exited on ${signal}` : `exited with code ${code}`,
    });
    this.emit({
      type: 'process_exit',
      pid: child.pid,
      generation: child.generation,
      uptimeMs: Date.now() - child.startedAtMs,
      expected: true,
    });
  }

  protected cancel(run: TrackedRun, reason: string): void {
    const child = this.childOf.get(run.job.executionId);
    if (child) sendTo(child.process.child, { type: 'cancel', reason } satisfies ToChild);
  }

  protected contain(run: TrackedRun): void {
    const child = this.childOf.get(run.job.executionId);
    if (!child) return;
    this.setProcessState(child, 'EXITING', `execution ${run.job.executionId} is stuck`);
    void terminate(child.process, this.options.killCapMs);
  }

  snapshot(): ProcessSnapshot[] {
    return [...this.children.values()].map((child) =>
      this.describeProcess(child, 0, [child.run.snapshot()]),
    );
  }

  recycle(pid: number, generation: number, requestedBy: string): RecycleResult {
    const child = this.children.get(pid);
    const refusal = recycleRefusal(pid, generation, child, 'process');
    if (refusal || !child) return refusal as RecycleResult;
    this.setProcessState(child, 'PENDING_KILL', `recycle requested by ${requestedBy}`);
    return {
      status: 'DONE',
      outcome: `pid ${pid} generation ${generation} is PENDING_KILL; in process mode it runs one execution and exits when that ends, and the next execution gets a fresh process anyway`,
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map((child) => {
        this.setProcessState(child, 'EXITING', 'the worker is stopping');
        return terminate(child.process, this.options.killCapMs);
      }),
    );
  }
}
