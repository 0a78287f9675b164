/**
 * Operator controls over executions: cancel, rerun (one, or many by filter), and the paused
 * workflows with how much of each waits. The routes in http/routes call these.
 */
import {
  MAX_BULK_EXECUTIONS,
  isTerminal,
  type BulkActionResponse,
  type CancelResponse,
  type ErrorType,
  type ExecutionRecord,
  type ExecutionStatus,
  type PausedWorkflowSummary,
} from '@warden/core';
import type { ControlPlaneDeps } from './deps.js';
import { conflict, notFound } from './http/errors.js';
import { submitExecution } from './submit.js';

const missing = (executionId: string) =>
  notFound('EXECUTION_NOT_FOUND', `No execution ${executionId} (records are kept 30 days)`);

/**
 * QUEUED: CANCELLED at once (the worker that receives its message finds it finished and deletes
 * it). RUNNING: marked, and the worker holding it is told by a command to fire the AbortSignal.
 * Finished: 409.
 */
export async function cancelExecution(
  deps: ControlPlaneDeps,
  executionId: string,
  by: string,
): Promise<CancelResponse> {
  const { repos, publisher } = deps;
  // Two rounds: a QUEUED execution may be claimed between the read and the conditional write.
  for (let round = 0; round < 2; round++) {
    const record = await repos.executions.get(executionId);
    if (!record) throw missing(executionId);
    if (isTerminal(record.status)) {
      throw conflict(
        'EXECUTION_FINISHED',
        `Execution ${executionId} is already ${record.status}${record.errorType ? ` (${record.errorType})` : ''}; only QUEUED or RUNNING executions can be cancelled`,
      );
    }
    if (record.status === 'QUEUED') {
      const cancelled = await repos.executions.cancelQueued(executionId, by);
      if (!cancelled) continue;
      await publisher.publish({
        type: 'queue_changed',
        change: 'cancelled',
        executionId,
        workflowId: cancelled.workflowId,
      });
      await publisher.publish({
        type: 'execution_finished',
        executionId,
        workflowId: cancelled.workflowId,
        workerId: 'none',
        status: 'CANCELLED',
        errorType: 'Cancelled',
      });
      return { execution: cancelled, outcome: 'CANCELLED' };
    }
    const marked = await repos.executions.requestCancel(executionId, by);
    if (!marked) continue;
    if (marked.workerId) {
      await repos.commands.createCancel({
        workerId: marked.workerId,
        executionId,
        requestedBy: by,
      });
    }
    return { execution: marked, outcome: 'CANCELLING' };
  }
  throw conflict(
    'EXECUTION_FINISHED',
    `Execution ${executionId} changed state while being cancelled; read it and try again`,
  );
}

/** A new execution of the same workflow and input, whose `rerunOf` names the original. */
export async function rerunExecution(
  deps: ControlPlaneDeps,
  executionId: string,
  by: string,
  newExecutionId?: string,
): Promise<ExecutionRecord> {
  const original = await deps.repos.executions.get(executionId);
  if (!original) throw missing(executionId);
  if (!isTerminal(original.status)) {
    throw conflict(
      'EXECUTION_FINISHED',
      `Execution ${executionId} is still ${original.status}; rerun it once it has finished (or cancel it first)`,
    );
  }
  return submitExecution(
    deps,
    {
      workflowId: original.workflowId,
      ...(original.input !== undefined && original.input !== null ? { input: original.input } : {}),
      ...(original.timeoutSeconds !== undefined ? { timeoutSeconds: original.timeoutSeconds } : {}),
      ...(newExecutionId ? { executionId: newExecutionId } : {}),
    },
    by,
    { rerunOf: executionId },
  );
}

export interface ExecutionFilter {
  workflowId?: string;
  statuses: ExecutionStatus[];
  errorType?: ErrorType;
  from?: string;
  to?: string;
}

/** Up to MAX_BULK_EXECUTIONS + 1 executions matching the filter, newest first. */
export async function findExecutions(
  deps: ControlPlaneDeps,
  filter: ExecutionFilter,
): Promise<ExecutionRecord[]> {
  const found: ExecutionRecord[] = [];
  for (const status of filter.statuses) {
    let cursor: string | undefined;
    do {
      const page = await deps.repos.executions.list({
        workflowId: filter.workflowId,
        status,
        from: filter.from,
        to: filter.to,
        limit: 200,
        cursor,
      });
      for (const item of page.items) {
        if (!filter.errorType || item.errorType === filter.errorType) found.push(item);
      }
      cursor = page.nextCursor;
    } while (cursor && found.length <= MAX_BULK_EXECUTIONS);
  }
  return found.sort((a, b) => b.queuedAt.localeCompare(a.queuedAt));
}

/** Runs `act` over what the filter matches, or only counts it on a dry run. */
export async function bulkAct(
  deps: ControlPlaneDeps,
  filter: ExecutionFilter,
  dryRun: boolean,
  act: (record: ExecutionRecord) => Promise<{ outcome: string; newExecutionId?: string }>,
): Promise<BulkActionResponse> {
  const all = await findExecutions(deps, filter);
  const matched = all.slice(0, MAX_BULK_EXECUTIONS);
  const body: BulkActionResponse = {
    dryRun,
    matched: matched.length,
    executionIds: matched.map((record) => record.executionId),
    truncated: all.length > MAX_BULK_EXECUTIONS,
  };
  if (dryRun) return body;
  const results: NonNullable<BulkActionResponse['results']> = [];
  for (const record of matched) {
    try {
      results.push({ executionId: record.executionId, ...(await act(record)) });
    } catch (error) {
      results.push({
        executionId: record.executionId,
        outcome: `failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return { ...body, results };
}

/** Every paused workflow with how many of its executions wait (QUEUED records). */
export async function pausedWorkflows(deps: ControlPlaneDeps): Promise<PausedWorkflowSummary[]> {
  const pauses = await deps.repos.pauses.list();
  return Promise.all(
    pauses.map(async (pause) => ({
      ...pause,
      waiting: await deps.repos.executions.countQueued(pause.workflowId),
    })),
  );
}
