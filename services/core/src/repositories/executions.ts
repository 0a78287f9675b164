import { randomUUID } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  EXECUTION_STATUSES,
  type AttemptError,
  type ErrorType,
  type ExecutionRef,
  type ExecutionRecord,
  type ExecutionStatus,
  type WorkerMode,
} from '../domain.js';
import { INDEX, ROLLOUT_EXECUTION_ATTRIBUTES } from '../resources.js';
import { DAY_MS, epochSeconds, iso, systemClock, type Clock } from '../time.js';
import { boundLogs } from '../log-bounds.js';
import {
  conditionHeld,
  isConditionFailure,
  sortKeyRange,
  unlessRefused,
} from './dynamo-helpers.js';

export { MAX_LOG_LINES, MAX_LOG_LINE_CHARS, boundLogLine, boundLogs } from '../log-bounds.js';

/** Execution records are kept 30 days (TTL is cleanup only; nothing depends on it). */
const RETENTION_MS = 30 * DAY_MS;
/** Bounds that keep a record well inside DynamoDB's 400 KB item limit. */
export const MAX_OUTPUT_BYTES = 32 * 1024;
export const MAX_ERROR_MESSAGE_CHARS = 2000;

export class DuplicateExecutionError extends Error {
  constructor(readonly executionId: string) {
    super(`execution ${executionId} already exists`);
    this.name = 'DuplicateExecutionError';
  }
}

export type ClaimResult =
  | { claimed: true; record: ExecutionRecord }
  | { claimed: false; existing: ExecutionRecord | undefined };

export interface ClaimInput {
  executionId: string;
  workflowId: string;
  workerId: string;
  attempt: number;
  leaseMs: number;
  /** Used when the message was sent raw and no QUEUED record exists. */
  queuedAt: string;
  timeoutSeconds: number;
  input?: unknown;
  /**
   * Identifies one claim attempt (one received message), kept across its retries: a retry whose
   * first write landed but whose answer was lost finds its own lease and claims again, while any
   * other delivery still finds the lease live and is refused. A fresh one when absent.
   */
  claimToken?: string;
}

/** Where an execution runs: the process (the pool process in thread mode), thread and generation. */
export interface ExecutionPlacement {
  pid: number;
  threadId?: number;
  generation: number;
}

export interface FinishInput {
  status: Exclude<ExecutionStatus, 'QUEUED' | 'RUNNING'>;
  output?: unknown;
  errorType?: ErrorType;
  errorMessage?: string;
  logs?: string[];
  /**
   * Where it ran. Written again with the outcome because the separate placement write can lose
   * the race against a fast execution's finish (its condition wants RUNNING).
   */
  placement?: ExecutionPlacement;
  /** Forensics of a thread it blocked or overflowed, and the execution blamed for a collateral failure. */
  stack?: string[];
  collateral?: ExecutionRef[];
  culprit?: ExecutionRef;
  /** The attempt that failed: its error joins `attemptErrors`. */
  attempt?: number;
}

/** Who writes: a worker stamps every record it writes with its executor mode and version. */
export interface ExecutionWriter {
  mode: WorkerMode;
  version: string;
}

/** What the rollout comparison reads of one finished execution (the byModeFinished index). */
export type FinishedExecution = Pick<
  ExecutionRecord,
  (typeof ROLLOUT_EXECUTION_ATTRIBUTES)[number]
> & { finishedAt: string };

export interface FinishedWindowPage {
  items: FinishedExecution[];
  /** True when the window held more than the cap and only the newest `cap` were read. */
  truncated: boolean;
}

export interface RetryInput {
  /** The attempt that failed and the one that follows. */
  failedAttempt: number;
  errorType: ErrorType;
  errorMessage: string;
  retryAt: string;
  logs?: string[];
  placement?: ExecutionPlacement;
}

/** Each kept attempt error's message is cut to this, so the list stays small. */
export const MAX_ATTEMPT_ERROR_CHARS = 500;

const attemptError = (
  attempt: number,
  errorType: ErrorType,
  message: string | undefined,
  finishedAt: string,
): AttemptError => ({
  attempt,
  errorType,
  errorMessage:
    message && message.length > MAX_ATTEMPT_ERROR_CHARS
      ? `${message.slice(0, MAX_ATTEMPT_ERROR_CHARS)}…`
      : (message ?? ''),
  finishedAt,
});

export interface ListExecutionsQuery {
  workflowId?: string;
  status?: ExecutionStatus;
  /** ISO instants bounding queuedAt (inclusive from, exclusive to). */
  from?: string;
  to?: string;
  /** An execution id or the start of one (`begins_with`). */
  q?: string;
  errorType?: ErrorType;
  workerId?: string;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** Warden's own execution ids (randomUUID): a full one cannot be the start of another. */
const FULL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ExecutionPage {
  items: ExecutionRecord[];
  nextCursor?: string;
}

/** Keeps output JSON-serialisable and bounded; oversized output is replaced by a note. */
export function boundOutput(output: unknown): unknown {
  if (output === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(output);
  } catch {
    return { truncated: true, note: 'output is not JSON-serialisable' };
  }
  if (json === undefined) return undefined;
  if (Buffer.byteLength(json) > MAX_OUTPUT_BYTES) {
    return {
      truncated: true,
      note: `output was ${Buffer.byteLength(json)} bytes; limit ${MAX_OUTPUT_BYTES}`,
      preview: json.slice(0, 1024),
    };
  }
  return JSON.parse(json) as unknown;
}

const boundMessage = (message: string | undefined): string | undefined =>
  message && message.length > MAX_ERROR_MESSAGE_CHARS
    ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
    : message;

/** The SET clauses and values that record an execution's placement. */
function placementClauses(placement: ExecutionPlacement): {
  set: string[];
  values: Record<string, unknown>;
} {
  const set = ['pid = :pid', 'generation = :gen'];
  const values: Record<string, unknown> = { ':pid': placement.pid, ':gen': placement.generation };
  if (placement.threadId !== undefined) {
    set.push('threadId = :tid');
    values[':tid'] = placement.threadId;
  }
  return { set, values };
}

export class ExecutionsRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
    private readonly writer?: ExecutionWriter,
  ) {}

  /** SET clauses that stamp the writer's mode and version (none outside a worker). */
  private writerClauses(): { set: string[]; values: Record<string, unknown> } {
    if (!this.writer) return { set: [], values: {} };
    return {
      set: ['#mode = :mode', 'version = :version'],
      values: { ':mode': this.writer.mode, ':version': this.writer.version },
    };
  }

  /** `#mode` is only named when a writer stamps it (DynamoDB refuses unused names). */
  private writerNames(): Record<string, string> {
    return this.writer ? { '#mode': 'mode' } : {};
  }

  /** A conditional update: the record as written, or undefined when its condition refused it. */
  private async updateIf(
    params: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>,
  ): Promise<ExecutionRecord | undefined> {
    const result = await unlessRefused(() =>
      this.dynamo.send(
        new UpdateCommand({ ...params, TableName: this.tableName, ReturnValues: 'ALL_NEW' }),
      ),
    );
    return result?.Attributes as ExecutionRecord | undefined;
  }

  async get(executionId: string): Promise<ExecutionRecord | undefined> {
    const result = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: { executionId }, ConsistentRead: true }),
    );
    return result.Item as ExecutionRecord | undefined;
  }

  /** Writes a QUEUED record for a submission; refuses an id that already exists. */
  async createQueued(input: {
    executionId: string;
    workflowId: string;
    input?: unknown;
    timeoutSeconds?: number;
    submittedBy?: string;
    rerunOf?: string;
  }): Promise<ExecutionRecord> {
    const now = this.clock();
    const record: ExecutionRecord = {
      executionId: input.executionId,
      workflowId: input.workflowId,
      status: 'QUEUED',
      queuedAt: iso(now),
      input: input.input,
      timeoutSeconds: input.timeoutSeconds,
      submittedBy: input.submittedBy,
      ...(input.rerunOf ? { rerunOf: input.rerunOf } : {}),
      expiresAt: epochSeconds(now + RETENTION_MS),
    };
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(executionId)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new DuplicateExecutionError(input.executionId);
      throw error;
    }
    return record;
  }

  /**
   * Claims an execution for one worker. Succeeds when no record exists, when it is QUEUED, or
   * when it is RUNNING under a lease that has expired (its worker died), or when it was failed
   * because its message went to the dead-letter queue (an operator redrove it to run it again).
   * A live lease or any other terminal record refuses the claim, so a duplicate delivery never
   * runs twice at once; only the same claim retried (same `claimToken`, same worker) passes its
   * own live lease. The record must be of the same workflow.
   */
  async claim(input: ClaimInput): Promise<ClaimResult> {
    const now = this.clock();
    const stamp = this.writerClauses();
    try {
      const result = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { executionId: input.executionId },
          // Only a record of the same workflow: a message that reuses another workflow's id must
          // neither run under that record (with its stored input) nor take it over.
          ConditionExpression:
            'attribute_not_exists(executionId) OR (workflowId = :workflowId AND (#status = :queued OR (#status = :running AND leaseExpiresAt < :now) OR (#status = :running AND leaseOwner = :workerId AND claimToken = :token) OR (#status = :failed AND attribute_exists(deadLetteredAt))))',
          UpdateExpression:
            'SET ' +
            [
              '#status = :running, claimToken = :token, workflowId = :workflowId, workerId = :workerId, leaseOwner = :workerId, leaseExpiresAt = :lease, attempt = :attempt, startedAt = :startedAt, startedMs = :now, queuedAt = if_not_exists(queuedAt, :queuedAt), timeoutSeconds = :timeout, expiresAt = :expires, #input = if_not_exists(#input, :input)',
              ...stamp.set,
            ].join(', ') +
            ' REMOVE errorType, errorMessage, finishedAt, #output, durationMs, pid, threadId, generation, deadLetteredAt, retryAt',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#input': 'input',
            '#output': 'output',
            ...this.writerNames(),
          },
          ExpressionAttributeValues: {
            ...stamp.values,
            ':queued': 'QUEUED',
            ':running': 'RUNNING',
            ':failed': 'FAILED',
            ':now': now,
            ':workflowId': input.workflowId,
            ':workerId': input.workerId,
            ':token': input.claimToken ?? randomUUID(),
            ':lease': now + input.leaseMs,
            ':attempt': input.attempt,
            ':startedAt': iso(now),
            ':queuedAt': input.queuedAt,
            ':timeout': input.timeoutSeconds,
            ':expires': epochSeconds(now + RETENTION_MS),
            ':input': input.input ?? null,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const record = result.Attributes as ExecutionRecord;
      const queueTimeMs = Math.max(0, now - Date.parse(record.queuedAt));
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { executionId: input.executionId },
          UpdateExpression: 'SET queueTimeMs = :q',
          ExpressionAttributeValues: { ':q': queueTimeMs },
        }),
      );
      return { claimed: true, record: { ...record, queueTimeMs } };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { claimed: false, existing: await this.get(input.executionId) };
    }
  }

  /**
   * Records where an execution runs (pid, thread, generation) once the executor placed it; false
   * when it is no longer RUNNING under this worker (a fast one may already be finished, and its
   * outcome write carries the placement).
   */
  async setPlacement(
    executionId: string,
    workerId: string,
    placement: ExecutionPlacement,
  ): Promise<boolean> {
    const { set, values } = placementClauses(placement);
    return this.updateOwnRunning(executionId, workerId, set, values);
  }

  /** Extends the lease; false when this worker no longer holds it. */
  async renewLease(executionId: string, workerId: string, leaseMs: number): Promise<boolean> {
    return this.updateOwnRunning(executionId, workerId, ['leaseExpiresAt = :lease'], {
      ':lease': this.clock() + leaseMs,
    });
  }

  /** An update only the lease owner of a RUNNING execution may make; false when it no longer is. */
  private async updateOwnRunning(
    executionId: string,
    workerId: string,
    set: string[],
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return conditionHeld(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { executionId },
          ConditionExpression: 'leaseOwner = :me AND #status = :running',
          UpdateExpression: `SET ${set.join(', ')}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':me': workerId, ':running': 'RUNNING', ...values },
        }),
      ),
    );
  }

  /**
   * Writes the terminal state of a claimed execution. Only the lease owner may finish it, and
   * only once; returns false when the write was refused (lease lost or already terminal).
   */
  async finish(
    executionId: string,
    workerId: string,
    input: FinishInput,
  ): Promise<ExecutionRecord | undefined> {
    const now = this.clock();
    const optional: Record<string, unknown> = {
      output: boundOutput(input.output),
      errorType: input.errorType,
      errorMessage: boundMessage(input.errorMessage),
      logs: boundLogs(input.logs),
      stack: input.stack?.length ? input.stack.slice(0, 20) : undefined,
      collateral: input.collateral?.length ? input.collateral.slice(0, 64) : undefined,
      culprit: input.culprit,
    };
    const stamp = this.writerClauses();
    const set = [
      '#status = :status',
      'finishedAt = :finishedAt',
      'durationMs = :now - startedMs',
      ...stamp.set,
    ];
    const remove = ['leaseExpiresAt'];
    const names: Record<string, string> = { '#status': 'status', ...this.writerNames() };
    const values: Record<string, unknown> = {
      ':me': workerId,
      ':running': 'RUNNING',
      ':status': input.status,
      ':finishedAt': iso(now),
      ':now': now,
      ...stamp.values,
    };
    if (input.placement) {
      const placement = placementClauses(input.placement);
      set.push(...placement.set);
      Object.assign(values, placement.values);
    }
    if (input.errorType && input.attempt !== undefined) {
      set.push(
        'attemptErrors = list_append(if_not_exists(attemptErrors, :noErrors), :attemptError)',
      );
      values[':noErrors'] = [];
      values[':attemptError'] = [
        attemptError(input.attempt, input.errorType, input.errorMessage, iso(now)),
      ];
    }
    remove.push('retryAt');
    for (const [field, value] of Object.entries(optional)) {
      names[`#${field}`] = field;
      if (value === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    return this.updateIf({
      Key: { executionId },
      ConditionExpression: 'leaseOwner = :me AND #status = :running',
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Puts a failed attempt back to QUEUED for a retry: only the lease owner of the RUNNING
   * execution may, and its error joins `attemptErrors`. False when the lease was lost.
   */
  async requeueForRetry(
    executionId: string,
    workerId: string,
    input: RetryInput,
  ): Promise<ExecutionRecord | undefined> {
    const now = this.clock();
    const set = [
      '#status = :queued',
      'retryAt = :retryAt',
      'attemptErrors = list_append(if_not_exists(attemptErrors, :noErrors), :attemptError)',
      'errorType = :errorType',
      'errorMessage = :errorMessage',
    ];
    const values: Record<string, unknown> = {
      ':me': workerId,
      ':running': 'RUNNING',
      ':queued': 'QUEUED',
      ':retryAt': input.retryAt,
      ':noErrors': [],
      ':attemptError': [
        attemptError(input.failedAttempt, input.errorType, input.errorMessage, iso(now)),
      ],
      ':errorType': input.errorType,
      ':errorMessage': boundMessage(input.errorMessage),
    };
    const logs = boundLogs(input.logs);
    if (logs) {
      set.push('logs = :logs');
      values[':logs'] = logs;
    }
    if (input.placement) {
      const placement = placementClauses(input.placement);
      set.push(...placement.set);
      Object.assign(values, placement.values);
    }
    return this.updateIf({
      Key: { executionId },
      ConditionExpression: 'leaseOwner = :me AND #status = :running',
      UpdateExpression: `SET ${set.join(', ')} REMOVE leaseExpiresAt, leaseOwner`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Cancels an execution that has not started: QUEUED becomes CANCELLED, so the claim of its
   * message is refused and the message is deleted when it arrives. Undefined when it is not QUEUED.
   */
  async cancelQueued(executionId: string, by: string): Promise<ExecutionRecord | undefined> {
    const now = iso(this.clock());
    return this.updateIf({
      Key: { executionId },
      ConditionExpression: '#status = :queued',
      UpdateExpression:
        'SET #status = :cancelled, errorType = :errorType, errorMessage = :message, finishedAt = :now, cancelRequestedAt = :now, cancelRequestedBy = :by REMOVE retryAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':queued': 'QUEUED',
        ':cancelled': 'CANCELLED',
        ':errorType': 'Cancelled',
        ':message': `cancelled by ${by} before it started`,
        ':now': now,
        ':by': by,
      },
    });
  }

  /**
   * Marks a RUNNING execution as asked to cancel (the worker holding it is told by a command).
   * Undefined when it is not RUNNING.
   */
  async requestCancel(executionId: string, by: string): Promise<ExecutionRecord | undefined> {
    return this.updateIf({
      Key: { executionId },
      ConditionExpression: '#status = :running',
      UpdateExpression:
        'SET cancelRequestedAt = if_not_exists(cancelRequestedAt, :now), cancelRequestedBy = if_not_exists(cancelRequestedBy, :by)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'RUNNING',
        ':now': iso(this.clock()),
        ':by': by,
      },
    });
  }

  /**
   * Records a FAILED execution that never ran (invalid message, blacklisted workflow). Never
   * overwrites a record that is running or finished, nor one of another workflow.
   */
  async failUnrun(input: {
    executionId: string;
    workflowId: string;
    errorType: ErrorType;
    errorMessage: string;
    queuedAt: string;
    attempt?: number;
    input?: unknown;
  }): Promise<boolean> {
    const now = this.clock();
    const stamp = this.writerClauses();
    return conditionHeld(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { executionId: input.executionId },
          ConditionExpression:
            'attribute_not_exists(executionId) OR (#status = :queued AND workflowId = :workflowId)',
          UpdateExpression:
            'SET ' +
            [
              '#status = :failed, workflowId = :workflowId, errorType = :errorType, errorMessage = :errorMessage, finishedAt = :now, queuedAt = if_not_exists(queuedAt, :queuedAt), attempt = :attempt, expiresAt = :expires, #input = if_not_exists(#input, :input)',
              ...stamp.set,
            ].join(', '),
          ExpressionAttributeNames: {
            '#status': 'status',
            '#input': 'input',
            ...this.writerNames(),
          },
          ExpressionAttributeValues: {
            ...stamp.values,
            ':queued': 'QUEUED',
            ':failed': 'FAILED',
            ':workflowId': input.workflowId,
            ':errorType': input.errorType,
            ':errorMessage': boundMessage(input.errorMessage),
            ':now': iso(now),
            ':queuedAt': input.queuedAt,
            ':attempt': input.attempt ?? 1,
            ':expires': epochSeconds(now + RETENTION_MS),
            ':input': input.input ?? null,
          },
        }),
      ),
    );
  }

  /**
   * Fails an execution whose message SQS moved to the dead-letter queue while nobody held it:
   * RUNNING under the expired lease the caller observed (pass it), or QUEUED and never claimed
   * (pass undefined), and of `workflowId` (the message's). Any other state, a renewed lease or
   * another workflow's record included, refuses the write and returns undefined. The record is marked `deadLetteredAt` so that a redriven message may claim it again.
   */
  async failDeadLettered(
    executionId: string,
    workflowId: string,
    observedLeaseExpiresAt: number | undefined,
    errorMessage: string,
  ): Promise<ExecutionRecord | undefined> {
    const now = this.clock();
    const running = observedLeaseExpiresAt !== undefined;
    return this.updateIf({
      Key: { executionId },
      ConditionExpression:
        'workflowId = :workflowId AND ' +
        (running
          ? '#status = :running AND leaseExpiresAt = :observed AND leaseExpiresAt < :now'
          : '#status = :queued'),
      UpdateExpression:
        'SET #status = :failed, errorType = :errorType, errorMessage = :errorMessage, finishedAt = :finishedAt, deadLetteredAt = :finishedAt' +
        (running ? ', durationMs = :now - startedMs' : '') +
        ' REMOVE leaseExpiresAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':failed': 'FAILED',
        ':workflowId': workflowId,
        ':errorType': 'WorkerLost',
        ':errorMessage': boundMessage(errorMessage),
        ':finishedAt': iso(now),
        ...(running
          ? { ':running': 'RUNNING', ':observed': observedLeaseExpiresAt, ':now': now }
          : { ':queued': 'QUEUED' }),
      },
    });
  }

  /**
   * Lists executions newest first (ties on `queuedAt` broken by `executionId`, descending),
   * filtered by workflow or status and a queuedAt window. The cursor is the position
   * (queuedAt, executionId) of the last item returned, so rows that share a millisecond across a
   * page boundary are neither skipped nor repeated.
   */
  async list(query: ListExecutionsQuery): Promise<ExecutionPage> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const to = after?.queuedAt ?? query.to;
    /** Before the cursor, or before the exclusive `to`. */
    const inPage = (item: ExecutionRecord): boolean =>
      !to ||
      item.queuedAt < to ||
      (after?.executionId !== undefined &&
        item.queuedAt === to &&
        item.executionId < after.executionId);
    if (query.q && FULL_UUID.test(query.q)) {
      // A whole generated id is one GetItem, whatever else is asked; the rest is checked here.
      const found = query.cursor ? undefined : await this.get(query.q);
      const matches =
        found &&
        (!query.workflowId || found.workflowId === query.workflowId) &&
        (!query.status || found.status === query.status) &&
        (!query.errorType || found.errorType === query.errorType) &&
        (!query.workerId || found.workerId === query.workerId) &&
        (!query.from || found.queuedAt >= query.from) &&
        (!to || found.queuedAt < to);
      return { items: matches ? [found] : [] };
    }
    // Filters applied to what each partition's key condition reads (see docs/api.md for cost).
    const extra: [name: string, clause: string, value: unknown][] = [];
    if (query.q) extra.push(['executionId', 'begins_with(#executionId, :executionId)', query.q]);
    if (query.errorType) extra.push(['errorType', '#errorType = :errorType', query.errorType]);
    if (query.workerId) extra.push(['workerId', '#workerId = :workerId', query.workerId]);
    const perPartition = async (
      index: string,
      keyName: string,
      keyValue: string,
    ): Promise<ExecutionRecord[]> => {
      // Inclusive upper bound: the cursor's own millisecond may hold rows not yet returned.
      const range = sortKeyRange('queuedAt', query.from, to, 'inclusive');
      const conditions = ['#pk = :pk', ...(range.condition ? [range.condition] : [])];
      const values: Record<string, unknown> = { ':pk': keyValue, ...range.values };
      const filters: string[] = [];
      const names: Record<string, string> = { '#pk': keyName };
      if (query.status && keyName !== 'status') {
        filters.push('#status = :status');
        values[':status'] = query.status;
        names['#status'] = 'status';
      }
      for (const [name, clause, value] of extra) {
        filters.push(clause);
        names[`#${name}`] = name;
        values[`:${name}`] = value;
      }
      const items: ExecutionRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      // Reads until a page and one more are in hand and every row sharing the millisecond of
      // the page's last row is read too (the index orders rows of one millisecond arbitrarily).
      const more = (): boolean =>
        !!ExclusiveStartKey &&
        (items.length <= query.limit ||
          ExclusiveStartKey.queuedAt === items[query.limit - 1]?.queuedAt);
      do {
        const page = await this.dynamo.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index,
            KeyConditionExpression: conditions.join(' AND '),
            FilterExpression: filters.length ? filters.join(' AND ') : undefined,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // One more than a page, to know whether another page follows.
            Limit: query.limit + 1,
            ExclusiveStartKey,
          }),
        );
        items.push(...((page.Items ?? []) as ExecutionRecord[]).filter(inPage));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (more());
      return items;
    };

    let items: ExecutionRecord[];
    if (query.workflowId) {
      items = await perPartition(INDEX.executionsByWorkflow, 'workflowId', query.workflowId);
    } else {
      // Only a finished, unsuccessful execution carries an error type.
      const statuses = query.status
        ? [query.status]
        : query.errorType
          ? EXECUTION_STATUSES.filter((s) => s !== 'QUEUED' && s !== 'RUNNING' && s !== 'SUCCESS')
          : [...EXECUTION_STATUSES];
      const pages = await Promise.all(
        statuses.map((status) => perPartition(INDEX.executionsByStatus, 'status', status)),
      );
      items = pages.flat();
    }
    items.sort(newestFirst);
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: items.length > query.limit && last ? encodeCursor(last) : undefined,
    };
  }

  /**
   * How many executions of each status were queued at or after `sinceIso` (a COUNT query per
   * status partition; nothing is read into memory). Feeds the stuck rate of the fleet health and
   * the queue's tracked count. Statuses not asked for count 0.
   */
  async countByStatusSince(
    sinceIso: string,
    statuses: readonly ExecutionStatus[] = EXECUTION_STATUSES,
  ): Promise<Record<ExecutionStatus, number>> {
    const zero = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0]));
    const counts = await Promise.all(
      statuses.map(async (status) => {
        let total = 0;
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const page = await this.dynamo.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: INDEX.executionsByStatus,
              KeyConditionExpression: '#status = :status AND queuedAt >= :since',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':status': status, ':since': sinceIso },
              Select: 'COUNT',
              ExclusiveStartKey,
            }),
          );
          total += page.Count ?? 0;
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
        return [status, total] as const;
      }),
    );
    return { ...zero, ...Object.fromEntries(counts) } as Record<ExecutionStatus, number>;
  }

  /**
   * RUNNING executions whose lease `workerId` holds and which expired before `now` (a query of
   * the RUNNING partition of the status index, filtered). Feeds the lost-worker sweep.
   */
  async listExpiredLeasesOf(workerId: string, now: number): Promise<ExecutionRecord[]> {
    const found: ExecutionRecord[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.executionsByStatus,
          KeyConditionExpression: '#status = :running',
          FilterExpression: 'leaseOwner = :worker AND leaseExpiresAt < :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':worker': workerId, ':now': now },
          ExclusiveStartKey,
        }),
      );
      found.push(...((page.Items ?? []) as ExecutionRecord[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return found;
  }

  /**
   * Records FAILED (WorkerLost) an execution left RUNNING by a lost worker, conditional on the
   * lease read (same owner, same expiry, expired), so a worker that claimed it again meanwhile
   * keeps it. Unlike a dead-lettered failure, no redelivered copy may claim it again: the
   * execution may have had effects. Undefined when the condition no longer holds.
   */
  async failLost(
    executionId: string,
    workerId: string,
    observedLeaseExpiresAt: number,
    errorMessage: string,
  ): Promise<ExecutionRecord | undefined> {
    const now = this.clock();
    return this.updateIf({
      Key: { executionId },
      ConditionExpression:
        '#status = :running AND leaseOwner = :worker AND leaseExpiresAt = :observed AND leaseExpiresAt < :now',
      UpdateExpression:
        'SET #status = :failed, errorType = :errorType, errorMessage = :errorMessage, finishedAt = :finishedAt, durationMs = :now - startedMs REMOVE leaseExpiresAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'RUNNING',
        ':worker': workerId,
        ':observed': observedLeaseExpiresAt,
        ':now': now,
        ':failed': 'FAILED',
        ':errorType': 'WorkerLost',
        ':errorMessage': boundMessage(errorMessage),
        ':finishedAt': iso(now),
      },
    });
  }

  /**
   * Executions of one mode that finished in [fromIso, toIso), read from the sparse
   * byModeFinished index, which projects only the few attributes the comparison needs. The
   * window is split into `segments` contiguous time slices queried in parallel, so a window of
   * 100,000 executions costs a few sequential pages per slice rather than dozens in a row. At
   * most `cap` executions are read (an equal share per slice); `truncated` says when more were
   * there.
   */
  async listFinished(
    mode: WorkerMode,
    fromIso: string,
    toIso: string,
    options: { cap: number; segments?: number },
  ): Promise<FinishedWindowPage> {
    const from = Date.parse(fromIso);
    const to = Date.parse(toIso);
    const segments = Math.max(1, Math.min(options.segments ?? 8, Math.ceil((to - from) / 1000)));
    const bounds = Array.from({ length: segments + 1 }, (_, i) =>
      i === segments ? toIso : iso(from + Math.floor(((to - from) * i) / segments)),
    );
    const perSlice = Math.ceil(options.cap / segments);
    const slices = await Promise.all(
      bounds.slice(0, -1).map(async (start, i) => {
        const end = bounds[i + 1]!;
        const items: FinishedExecution[] = [];
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        let more = false;
        do {
          const page = await this.dynamo.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: INDEX.executionsByMode,
              KeyConditionExpression: '#mode = :mode AND finishedAt BETWEEN :from AND :to',
              ProjectionExpression: [...ROLLOUT_EXECUTION_ATTRIBUTES, 'finishedAt']
                .map((a) => `#${a}`)
                .join(', '),
              ExpressionAttributeNames: Object.fromEntries([
                ['#mode', 'mode'],
                ...[...ROLLOUT_EXECUTION_ATTRIBUTES, 'finishedAt'].map((a) => [`#${a}`, a]),
              ]),
              ExpressionAttributeValues: { ':mode': mode, ':from': start, ':to': end },
              ExclusiveStartKey,
            }),
          );
          // BETWEEN is inclusive; the slice's end belongs to the next slice.
          items.push(
            ...((page.Items ?? []) as FinishedExecution[]).filter((item) => item.finishedAt < end),
          );
          ExclusiveStartKey = page.LastEvaluatedKey;
          if (items.length >= perSlice && ExclusiveStartKey) more = true;
        } while (ExclusiveStartKey && items.length < perSlice);
        return { items: items.slice(0, perSlice), truncated: more || items.length > perSlice };
      }),
    );
    return {
      items: slices.flatMap((slice) => slice.items),
      truncated: slices.some((slice) => slice.truncated),
    };
  }

  /** How many executions of one workflow are QUEUED (a COUNT query on the workflow's partition). */
  async countQueued(workflowId: string): Promise<number> {
    let total = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEX.executionsByWorkflow,
          KeyConditionExpression: 'workflowId = :w',
          FilterExpression: '#status = :queued',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':w': workflowId, ':queued': 'QUEUED' },
          Select: 'COUNT',
          ExclusiveStartKey,
        }),
      );
      total += page.Count ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return total;
  }

  /** Executions waiting in the queue that a producer tracked with a QUEUED record. */
  async listQueued(limit = 100): Promise<ExecutionRecord[]> {
    return (await this.list({ status: 'QUEUED', limit })).items;
  }
}

/** Newest queuedAt first; within one millisecond, the greater executionId first. */
function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  if (a.queuedAt !== b.queuedAt) return a.queuedAt < b.queuedAt ? 1 : -1;
  return a.executionId < b.executionId ? 1 : a.executionId > b.executionId ? -1 : 0;
}

const encodeCursor = (last: ExecutionRecord): string =>
  Buffer.from(`${last.queuedAt}\n${last.executionId}`).toString('base64url');

/** A cursor this API returned: `queuedAt` and the `executionId` of the last row (older: none). */
function decodeCursor(cursor: string): { queuedAt: string; executionId?: string } {
  const [queuedAt = '', executionId] = Buffer.from(cursor, 'base64url').toString().split('\n');
  if (Number.isNaN(Date.parse(queuedAt))) {
    throw new RangeError('cursor is not one this API returned');
  }
  return { queuedAt, ...(executionId ? { executionId } : {}) };
}
