/**
 * A typed client of the Warden admin API, for the CLI, scripts and upstream services that
 * submit executions over HTTP. Every non-2xx answer becomes a WardenApiError carrying the API's
 * code, message and field.
 */
import type {
  AddBlacklistRequest,
  ApiErrorBody,
  ApiRoute,
  ApiRouteArgs,
  ApiErrorCode,
  AuditListQuery,
  AuditListResponse,
  BlacklistEntryResponse,
  BlacklistResponse,
  BulkActionResponse,
  BulkCancelRequest,
  BulkRerunRequest,
  CancelResponse,
  ConfigResponse,
  DeadLettersResponse,
  DeleteDeadLettersResponse,
  ConfigUpdateRequest,
  ExecutionListQuery,
  ExecutionListResponse,
  ExecutionResponse,
  PauseResponse,
  PausesResponse,
  QueueStatusResponse,
  RecycleResponse,
  RolloutResponse,
  RedriveResponse,
  StopWorkerResponse,
  StuckHistoryResponse,
  SubmitExecutionRequest,
  WorkerDetailResponse,
  WorkersResponse,
  WorkflowsResponse,
} from '@warden/core';

export class WardenApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode | 'UNREACHABLE' | 'BAD_RESPONSE',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'WardenApiError';
  }
}

export interface WardenClientOptions {
  /** Base URL of the API (the ApiUrl output), without /api. */
  apiUrl: string;
  /** The admin token locally; a Cognito ID or access token in AWS. */
  token: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Options of one call: path parameters, query (undefined values left out) and JSON body. */
interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/** The method and path of a route of core's table, its path parameters URI-encoded. */
function resolveRoute(
  route: ApiRoute,
  params: Record<string, string | number> = {},
): { method: string; path: string } {
  const space = route.indexOf(' ');
  return {
    method: route.slice(0, space),
    path: route
      .slice(space + 1)
      .replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params[name]))),
  };
}

export class WardenClient {
  private readonly base: string;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: WardenClientOptions) {
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.fetcher = options.fetch ?? fetch;
  }

  /** Calls one route of the API (core's ApiRoute table); its path parameters are checked. */
  async request<T, R extends ApiRoute = ApiRoute>(
    route: R,
    ...[options]: ApiRouteArgs<R, CallOptions>
  ): Promise<T> {
    const { method, path } = resolveRoute(route, options?.params);
    const body = options?.body;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options?.query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}${path}${search ? `?${search}` : ''}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const reason =
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      throw new WardenApiError(
        0,
        'UNREACHABLE',
        `Cannot reach the Warden API at ${this.base} (${reason})`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new WardenApiError(
        response.status,
        'BAD_RESPONSE',
        `The API at ${this.base} answered ${response.status} with something that is not JSON: is this the Warden API URL?`,
      );
    }
    if (!response.ok) {
      const error = (parsed as Partial<ApiErrorBody>).error;
      throw new WardenApiError(
        response.status,
        error?.code ?? 'BAD_RESPONSE',
        error?.message ?? `The API answered ${response.status}`,
        error?.field,
      );
    }
    return parsed as T;
  }

  listWorkers(): Promise<WorkersResponse> {
    return this.request('GET /api/platform/workers');
  }

  getWorker(workerId: string): Promise<WorkerDetailResponse> {
    return this.request('GET /api/platform/workers/:workerId', { params: { workerId } });
  }

  recycleProcess(workerId: string, pid: number, generation: number): Promise<RecycleResponse> {
    return this.request('POST /api/platform/workers/:workerId/processes/:pid/recycle', {
      params: { workerId, pid },
      body: { generation },
    });
  }

  stopWorker(workerId: string, force = false): Promise<StopWorkerResponse> {
    return this.request('POST /api/platform/workers/:workerId/stop', {
      params: { workerId },
      body: force ? { force } : {},
    });
  }

  queue(limit?: number): Promise<QueueStatusResponse> {
    return this.request('GET /api/platform/queue', { query: { limit: limit || undefined } });
  }

  stuckHistory(hours?: number): Promise<StuckHistoryResponse> {
    return this.request('GET /api/platform/stuck-history', {
      query: { hours: hours || undefined },
    });
  }

  /** Thread mode (canary) against process mode (baseline) over the last `minutes` (default 60). */
  rollout(minutes?: number): Promise<RolloutResponse> {
    return this.request('GET /api/platform/rollout', { query: { minutes: minutes || undefined } });
  }

  listBlacklist(includeRemoved = false): Promise<BlacklistResponse> {
    return this.request('GET /api/platform/blacklist', {
      query: { include: includeRemoved ? 'removed' : undefined },
    });
  }

  addToBlacklist(request: AddBlacklistRequest): Promise<BlacklistEntryResponse> {
    return this.request('POST /api/platform/blacklist', { body: request });
  }

  removeFromBlacklist(workflowId: string): Promise<BlacklistEntryResponse> {
    return this.request('DELETE /api/platform/blacklist/:workflowId', { params: { workflowId } });
  }

  getConfig(): Promise<ConfigResponse> {
    return this.request('GET /api/platform/config');
  }

  updateConfig(update: ConfigUpdateRequest): Promise<ConfigResponse> {
    return this.request('PUT /api/platform/config', { body: update });
  }

  /** Queues an execution; refused (WardenApiError) when the workflow is blacklisted or unknown. */
  submitExecution(request: SubmitExecutionRequest): Promise<ExecutionResponse> {
    return this.request('POST /api/executions', { body: request });
  }

  getExecution(executionId: string): Promise<ExecutionResponse> {
    return this.request('GET /api/executions/:executionId', { params: { executionId } });
  }

  listExecutions(query: ExecutionListQuery = {}): Promise<ExecutionListResponse> {
    return this.request('GET /api/executions', { query: { ...query } });
  }

  /** The audit trail, newest first; filters and cursor as in GET /api/platform/audit. */
  listAudit(query: AuditListQuery = {}): Promise<AuditListResponse> {
    return this.request('GET /api/platform/audit', { query: { ...query } });
  }

  listWorkflows(): Promise<WorkflowsResponse> {
    return this.request('GET /api/workflows');
  }

  /** Holds a workflow: its messages wait (neither run nor fail) until it is resumed. */
  pauseWorkflow(workflowId: string, reason: string): Promise<PauseResponse> {
    return this.request('POST /api/platform/workflows/:workflowId/pause', {
      params: { workflowId },
      body: { reason },
    });
  }

  resumeWorkflow(workflowId: string): Promise<PauseResponse> {
    return this.request('POST /api/platform/workflows/:workflowId/resume', {
      params: { workflowId },
      body: {},
    });
  }

  listPaused(): Promise<PausesResponse> {
    return this.request('GET /api/platform/workflows/paused');
  }

  cancelExecution(executionId: string): Promise<CancelResponse> {
    return this.request('POST /api/executions/:executionId/cancel', {
      params: { executionId },
      body: {},
    });
  }

  rerunExecution(executionId: string, newExecutionId?: string): Promise<ExecutionResponse> {
    return this.request('POST /api/executions/:executionId/rerun', {
      params: { executionId },
      body: newExecutionId ? { executionId: newExecutionId } : {},
    });
  }

  /** With `dryRun: true`, counts and lists what would be cancelled without acting. */
  bulkCancel(request: BulkCancelRequest): Promise<BulkActionResponse> {
    return this.request('POST /api/executions/bulk-cancel', { body: request });
  }

  /** Reruns FAILED executions matching the filter; `dryRun: true` only counts them. */
  bulkRerun(request: BulkRerunRequest): Promise<BulkActionResponse> {
    return this.request('POST /api/executions/bulk-rerun', { body: request });
  }

  listDeadLetters(): Promise<DeadLettersResponse> {
    return this.request('GET /api/platform/dead-letters');
  }

  redriveDeadLetters(messageIds: string[] | 'all'): Promise<RedriveResponse> {
    return this.request('POST /api/platform/dead-letters/redrive', {
      body: messageIds === 'all' ? { all: true } : { messageIds },
    });
  }

  deleteDeadLetters(messageIds: string[]): Promise<DeleteDeadLettersResponse> {
    return this.request('POST /api/platform/dead-letters/delete', { body: { messageIds } });
  }
}
