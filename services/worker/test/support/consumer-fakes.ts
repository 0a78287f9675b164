/**
 * In-memory stand-ins for what the consumer talks to: the work queue, the Executions, StuckRecords
 * and Blacklist tables, and the executor. Each writes what it was asked into one shared log, so a
 * test can read the order of events, and any call can be held at a gate to look at the state in
 * the middle of a path. The real SQS, DynamoDB and executors are exercised by the integration
 * suites; these exist to pin ordering rules in milliseconds.
 */
import type { Message } from '@aws-sdk/client-sqs';
import {
  TERMINAL_STATUSES,
  createLogger,
  loadWorkerConfig,
  type BlacklistEntry,
  type ClaimInput,
  type ClaimResult,
  type ExecutionRecord,
  type FinishInput,
  type Repositories,
  type WardenEvent,
  type WorkflowPause,
} from '@warden/core';
import type { CatalogEntry } from '../../src/catalog.js';
import { Consumer } from '../../src/consumer.js';
import type {
  ExecutionHooks,
  ExecutionJob,
  ExecutionOutcome,
  StuckInfo,
} from '../../src/executors/index.js';
import type { WorkQueue } from '../../src/work-queue.js';

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A shared event log and named gates that hold a call until the test opens them. */
export class Script {
  readonly log: string[] = [];
  private readonly gates = new Map<string, Deferred>();

  hold(name: string): void {
    this.gates.set(name, deferred());
  }

  open(name: string): void {
    this.gates.get(name)?.resolve();
    this.gates.delete(name);
  }

  async pass(name: string): Promise<void> {
    await this.gates.get(name)?.promise;
  }

  /** Entries logged after the first entry equal to `marker`. */
  after(marker: string): string[] {
    const at = this.log.indexOf(marker);
    return at < 0 ? [] : this.log.slice(at + 1);
  }
}

export class FakeQueue implements WorkQueue {
  private readonly pending: Message[] = [];
  private waiting?: Deferred<Message[]>;
  deadLettered: { body: string; attributes: Record<string, string> }[] = [];
  closed = false;

  constructor(private readonly script: Script) {}

  /** Makes messages available to the next receive. */
  push(...messages: Message[]): void {
    this.pending.push(...messages);
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting.resolve(this.pending.splice(0, 10));
    }
  }

  /** Ends a pending long poll empty (as SQS does when its wait is over). */
  close(): void {
    this.closed = true;
    this.waiting?.resolve([]);
    this.waiting = undefined;
  }

  async receive(max: number): Promise<Message[]> {
    if (this.pending.length) return this.pending.splice(0, max);
    if (this.closed) return [];
    this.waiting = deferred<Message[]>();
    return this.waiting.promise;
  }

  async delete(receiptHandle: string): Promise<void> {
    this.script.log.push(`delete ${receiptHandle}`);
    await this.script.pass('delete');
  }

  async returnMessage(receiptHandle: string): Promise<void> {
    this.script.log.push(`return ${receiptHandle}`);
    await this.script.pass('return');
  }

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    this.script.log.push(`delay ${receiptHandle} ${seconds}`);
  }

  async extend(receiptHandle: string): Promise<void> {
    this.script.log.push(`extend ${receiptHandle}`);
  }

  /** Bodies sent back to wait, in order. */
  resent: string[] = [];

  async resend(receiptHandle: string, body: string, delaySeconds: number): Promise<void> {
    this.script.log.push(`resend ${receiptHandle} ${delaySeconds}`);
    this.resent.push(body);
  }

  async deadLetter(body: string, attributes: Record<string, string>): Promise<void> {
    this.script.log.push(`dead-letter ${attributes['warden.executionId']}`);
    this.deadLettered.push({ body, attributes });
  }

  giveUp(): void {}
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

/**
 * The Executions table's conditional writes, in memory, with the same conditions as the
 * DynamoDB repository. `now` is the test's clock.
 */
export class FakeExecutions {
  readonly records = new Map<string, ExecutionRecord>();
  /** Makes the next `claim` calls fail after their first write, as a dropped connection would. */
  failSecondClaimWrite = 0;
  private readonly tokens = new Map<string, string | undefined>();

  constructor(
    private readonly script: Script,
    private readonly now: () => number = Date.now,
  ) {}

  async get(executionId: string): Promise<ExecutionRecord | undefined> {
    const record = this.records.get(executionId);
    return record && { ...record };
  }

  async claim(input: ClaimInput): Promise<ClaimResult> {
    this.script.log.push(`claim ${input.executionId}`);
    await this.script.pass('claim');
    const now = this.now();
    const existing = this.records.get(input.executionId);
    const claimable =
      !existing ||
      (existing.workflowId === input.workflowId && existing.status === 'QUEUED') ||
      (existing.workflowId === input.workflowId &&
        ((existing.status === 'RUNNING' && (existing.leaseExpiresAt ?? 0) < now) ||
          (existing.status === 'RUNNING' &&
            existing.leaseOwner === input.workerId &&
            this.tokens.get(input.executionId) === input.claimToken) ||
          (existing.status === 'FAILED' && existing.deadLetteredAt !== undefined)));
    if (!claimable) return { claimed: false, existing: existing && { ...existing } };
    const record: ExecutionRecord = {
      ...existing,
      executionId: input.executionId,
      workflowId: input.workflowId,
      status: 'RUNNING',
      workerId: input.workerId,
      leaseOwner: input.workerId,
      leaseExpiresAt: now + input.leaseMs,
      attempt: input.attempt,
      startedAt: new Date(now).toISOString(),
      queuedAt: existing?.queuedAt ?? input.queuedAt,
      timeoutSeconds: input.timeoutSeconds,
      input: existing && 'input' in existing ? existing.input : (input.input ?? null),
    };
    this.records.set(input.executionId, record);
    this.tokens.set(input.executionId, input.claimToken);
    if (this.failSecondClaimWrite > 0) {
      this.failSecondClaimWrite--;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    }
    return { claimed: true, record: { ...record, queueTimeMs: 0 } };
  }

  async renewLease(executionId: string, workerId: string, leaseMs: number): Promise<boolean> {
    this.script.log.push(leaseMs === 0 ? `release ${executionId}` : `renew ${executionId}`);
    const record = this.records.get(executionId);
    if (record?.status !== 'RUNNING' || record.leaseOwner !== workerId) return false;
    record.leaseExpiresAt = this.now() + leaseMs;
    return true;
  }

  async setPlacement(): Promise<boolean> {
    return true;
  }

  async finish(
    executionId: string,
    workerId: string,
    input: FinishInput,
  ): Promise<ExecutionRecord | undefined> {
    this.script.log.push(`finish ${executionId} ${input.status}`);
    await this.script.pass('finish');
    const record = this.records.get(executionId);
    if (record?.status !== 'RUNNING' || record.leaseOwner !== workerId) return undefined;
    Object.assign(record, {
      status: input.status,
      errorType: input.errorType,
      errorMessage: input.errorMessage,
      output: input.output,
      culprit: input.culprit,
      durationMs: 1,
    });
    delete record.leaseExpiresAt;
    return { ...record };
  }

  async failUnrun(input: {
    executionId: string;
    workflowId: string;
    errorType: string;
    errorMessage: string;
    queuedAt: string;
    input?: unknown;
  }): Promise<boolean> {
    this.script.log.push(`fail-unrun ${input.executionId} ${input.errorType}`);
    const existing = this.records.get(input.executionId);
    if (existing && (existing.status !== 'QUEUED' || existing.workflowId !== input.workflowId)) {
      return false;
    }
    this.records.set(input.executionId, {
      ...existing,
      executionId: input.executionId,
      workflowId: input.workflowId,
      status: 'FAILED',
      errorType: input.errorType as ExecutionRecord['errorType'],
      errorMessage: input.errorMessage,
      queuedAt: existing?.queuedAt ?? input.queuedAt,
      input: existing && 'input' in existing ? existing.input : (input.input ?? null),
    });
    return true;
  }

  isTerminal(executionId: string): boolean {
    return TERMINAL.has(this.records.get(executionId)?.status ?? '');
  }
}

/** One execution the fake executor was handed; the test decides how it ends. */
export interface FakeRun {
  job: ExecutionJob;
  hooks: ExecutionHooks;
  finish(outcome: ExecutionOutcome): void;
  /** Declares it stuck (the executor waits for the record before it would contain anything). */
  stick(info?: Partial<StuckInfo>): Promise<void>;
}

export class FakeExecutor {
  readonly runs: FakeRun[] = [];
  private running = 0;

  constructor(private readonly capacity = 2) {}

  freeSlots(): number {
    return this.capacity - this.running;
  }

  execute(job: ExecutionJob, hooks: ExecutionHooks): Promise<ExecutionOutcome> {
    this.running++;
    const done = deferred<ExecutionOutcome>();
    const run: FakeRun = {
      job,
      hooks,
      finish: (outcome) => {
        this.running--;
        done.resolve(outcome);
      },
      stick: async (info) => {
        this.running--;
        await hooks.onStuck({
          elapsedMs: 3000,
          timeoutMs: 1000,
          graceMs: 2000,
          message: 'it ignored cancellation',
          logs: [],
          ...info,
        });
        done.resolve({ status: 'STUCK', elapsedMs: 3000 });
      },
    };
    this.runs.push(run);
    return done.promise;
  }
}

export const workflow = (id: string): CatalogEntry => ({
  id,
  name: id,
  file: `${id}.mjs`,
  moduleUrl: `file:///${id}.mjs`,
});

let sequence = 0;
/** A work message as SQS delivers it. */
export function message(body: unknown, receiveCount = 1): Message {
  sequence++;
  return {
    MessageId: `m-${sequence}`,
    ReceiptHandle: `rh-${sequence}`,
    Body: typeof body === 'string' ? body : JSON.stringify(body),
    Attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '1000' },
  };
}

export interface Harness {
  script: Script;
  queue: FakeQueue;
  executions: FakeExecutions;
  executor: FakeExecutor;
  stuckRows: string[];
  blacklist: BlacklistEntry[];
  /** Paused workflows, as the Blacklist table's PAUSED rows. */
  paused: WorkflowPause[];
  consumer: Consumer;
  /** The visibility timeout's third: how often the lease and the message are renewed. */
  renewEveryMs: number;
}

/** A consumer over fakes: visibility 30 s (renewal every 10 s), workflows `w` and `other`. */
export function harness(options: { capacity?: number } = {}): Harness {
  const script = new Script();
  const queue = new FakeQueue(script);
  const executions = new FakeExecutions(script);
  const executor = new FakeExecutor(options.capacity ?? 2);
  const stuckRows: string[] = [];
  const blacklist: BlacklistEntry[] = [];
  const paused: WorkflowPause[] = [];
  const catalog = new Map([
    ['w', workflow('w')],
    ['other', workflow('other')],
  ]);
  const repos = {
    executions,
    stuck: {
      record: async (row: { executionId: string }) => {
        script.log.push(`stuck-row ${row.executionId}`);
        await script.pass('stuck-row');
        stuckRows.push(row.executionId);
      },
    },
    blacklist: { listActive: async () => blacklist },
    pauses: { list: async () => paused },
  } as unknown as Pick<Repositories, 'executions' | 'stuck' | 'blacklist' | 'pauses'>;
  const consumer = new Consumer({
    config: loadWorkerConfig({
      WARDEN_QUEUE_URL: 'http://127.0.0.1:1/queue/work',
      WARDEN_DLQ_URL: 'http://127.0.0.1:1/queue/dlq',
      WORKER_VISIBILITY_TIMEOUT_SECONDS: '30',
      BLACKLIST_CACHE_SECONDS: '0',
    }),
    queue,
    repos,
    executor,
    catalog: { get: (id) => catalog.get(id), ids: () => [...catalog.keys()] },
    // Events are not under test here: the publisher answers as the real one does, with the event.
    publisher: {
      publish: async (event) => ({ ...event, at: new Date(0).toISOString() }) as WardenEvent,
    },
    metrics: { emit: () => {} },
    logger: createLogger('test', 'silent'),
    workerId: 'worker-1',
    mode: 'thread',
  });
  return {
    script,
    queue,
    executions,
    executor,
    stuckRows,
    blacklist,
    paused,
    consumer,
    renewEveryMs: 10_000,
  };
}
