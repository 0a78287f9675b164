/**
 * The typed client of the admin REST API (docs/api.md; shapes from core's api-types). Every call
 * sends the bearer token, turns the API's JSON errors (`{ error: { code, message, field? } }`)
 * into an ApiError a view can show as it is, and reports a 401 so the app can send the admin
 * back to the sign-in page.
 */
import type { ApiRoute, ApiRouteArgs } from '@warden/core';
import type {
  ApiErrorBody,
  AuditListQuery,
  AuditListResponse,
  MeResponse,
  BlacklistEntry,
  BlacklistListing,
  BlacklistResponse,
  BulkActionResponse,
  CancelResponse,
  ConfigResponse,
  DeadLettersResponse,
  DeleteDeadLettersResponse,
  ExecutionFilters,
  ExecutionListResponse,
  ExecutionRecord,
  ExecutionResponse,
  PausedWorkflowSummary,
  QueueSnapshot,
  QueueStatusResponse,
  RecycleResponse,
  RolloutResponse,
  RedriveResponse,
  StopWorkerResponse,
  DismissWorkerResponse,
  StuckHistoryResponse,
  SubmitExecutionInput,
  SystemConfig,
  WorkerDetailResponse,
  WorkersResponse,
  WorkflowCatalogEntry,
  WorkflowsResponse,
} from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the API says is wrong, when it names one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** True when the API could not be reached at all (network, CORS, server down). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  getToken: () => string | undefined;
  /** Called on every 401, after which the call still rejects. */
  onUnauthorized?: (error: ApiError) => void;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

/** Options of one call: query (empty values left out), JSON body, abort signal, explicit token. */
interface CallOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  token?: string;
}

/**
 * The method and path of a route of core's table (types only: this app imports nothing of core
 * at run time), its path parameters URI-encoded.
 */
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

/** The API's messages name the problem but may omit the final stop. */
const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound, because some fetch implementations refuse to run with another `this`.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Calls one route of the API (core's ApiRoute table); its path parameters are checked. */
  async request<T, R extends ApiRoute = ApiRoute>(
    route: R,
    ...[options]: ApiRouteArgs<R, CallOptions>
  ): Promise<T> {
    const { query, body, signal, token: explicitToken } = options ?? {};
    const { method, path } = resolveRoute(route, options?.params);
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = explicitToken ?? this.options.getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(
        0,
        'UNREACHABLE',
        `The Warden API at ${this.baseUrl} could not be reached. Check that it is running and that it allows this page's origin.`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const detail = (parsed as Partial<ApiErrorBody> | undefined)?.error;
      const error = new ApiError(
        response.status,
        detail?.code ?? `HTTP_${response.status}`,
        sentence(
          detail?.message ?? `The API answered ${response.status} ${response.statusText}`.trim(),
        ),
        detail?.field,
      );
      if (response.status === 401) this.options.onUnauthorized?.(error);
      throw error;
    }
    return parsed as T;
  }

  // Fleet ------------------------------------------------------------------------------------

  listWorkers(signal?: AbortSignal): Promise<WorkersResponse> {
    return this.request('GET /api/platform/workers', { signal });
  }

  getWorker(workerId: string): Promise<WorkerDetailResponse> {
    return this.request('GET /api/platform/workers/:workerId', { params: { workerId } });
  }

  /** Asks the worker to recycle one process; `generation` stops a stale page hitting a newer one. */
  recycleProcess(workerId: string, pid: number, generation: number): Promise<RecycleResponse> {
    return this.request('POST /api/platform/workers/:workerId/processes/:pid/recycle', {
      params: { workerId, pid },
      body: { generation },
    });
  }

  /** Stops a silent worker's task (ECS in AWS, the local process under `npm start`). */
  stopWorker(workerId: string, force = false): Promise<StopWorkerResponse> {
    return this.request('POST /api/platform/workers/:workerId/stop', {
      params: { workerId },
      body: force ? { force } : {},
    });
  }

  /** Removes a LOST (or OFFLINE) worker from the fleet. */
  dismissWorker(workerId: string): Promise<DismissWorkerResponse> {
    return this.request('DELETE /api/platform/workers/:workerId', { params: { workerId } });
  }

  async getQueue(signal?: AbortSignal): Promise<QueueSnapshot> {
    const body: QueueStatusResponse = await this.request('GET /api/platform/queue', { signal });
    return {
      visible: body.queue.visible,
      inFlight: body.queue.inFlight,
      delayed: body.queue.delayed,
      deadLetter: body.deadLetter.depth,
      untracked: body.untracked,
      queued: body.tracked.executions.map(
        ({ executionId, workflowId, workflowName, queuedAt }) => ({
          executionId,
          workflowId,
          workflowName,
          queuedAt,
        }),
      ),
      paused: body.paused ?? [],
    };
  }

  // Controls ----------------------------------------------------------------------------------

  async pauseWorkflow(workflowId: string, reason: string): Promise<PausedWorkflowSummary> {
    const body: { pause: PausedWorkflowSummary } = await this.request(
      'POST /api/platform/workflows/:workflowId/pause',
      { params: { workflowId }, body: { reason } },
    );
    return body.pause;
  }

  async resumeWorkflow(workflowId: string): Promise<PausedWorkflowSummary> {
    const body: { pause: PausedWorkflowSummary } = await this.request(
      'POST /api/platform/workflows/:workflowId/resume',
      { params: { workflowId }, body: {} },
    );
    return body.pause;
  }

  cancelExecution(executionId: string): Promise<CancelResponse> {
    return this.request('POST /api/executions/:executionId/cancel', {
      params: { executionId },
      body: {},
    });
  }

  async rerunExecution(executionId: string): Promise<ExecutionRecord> {
    const body: ExecutionResponse = await this.request('POST /api/executions/:executionId/rerun', {
      params: { executionId },
      body: {},
    });
    return body.execution;
  }

  /** Cancels (or with dryRun only counts) QUEUED and RUNNING executions matching the filter. */
  bulkCancel(filter: {
    workflowId?: string;
    status?: 'QUEUED' | 'RUNNING';
    from?: string;
    to?: string;
    dryRun: boolean;
  }): Promise<BulkActionResponse> {
    return this.request('POST /api/executions/bulk-cancel', { body: filter });
  }

  /** Reruns (or with dryRun only counts) FAILED executions matching the filter. */
  bulkRerun(filter: {
    workflowId?: string;
    errorType?: string;
    from?: string;
    to?: string;
    dryRun: boolean;
  }): Promise<BulkActionResponse> {
    return this.request('POST /api/executions/bulk-rerun', { body: filter });
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

  // Circuit breaker ---------------------------------------------------------------------------

  /** Thread mode (canary) against process mode (baseline) over the last `minutes`. */
  getRollout(minutes: number): Promise<RolloutResponse> {
    return this.request('GET /api/platform/rollout', { query: { minutes } });
  }

  getStuckHistory(hours: number): Promise<StuckHistoryResponse> {
    return this.request('GET /api/platform/stuck-history', { query: { hours } });
  }

  async getBlacklist(): Promise<BlacklistListing> {
    const body: BlacklistResponse = await this.request('GET /api/platform/blacklist', {
      query: { include: 'removed' },
    });
    return { active: body.entries, removed: body.history ?? [] };
  }

  async addToBlacklist(workflowId: string, reason: string): Promise<BlacklistEntry> {
    const body: { entry: BlacklistEntry } = await this.request('POST /api/platform/blacklist', {
      body: { workflowId, reason },
    });
    return body.entry;
  }

  async removeFromBlacklist(workflowId: string): Promise<BlacklistEntry> {
    const body: { entry: BlacklistEntry } = await this.request(
      'DELETE /api/platform/blacklist/:workflowId',
      { params: { workflowId } },
    );
    return body.entry;
  }

  /**
   * Checks a token before the app keeps it (401 for a bad one, 403 for one with no role) and
   * says who it belongs to and whether it may act or only read.
   */
  verifyToken(token: string): Promise<MeResponse> {
    return this.request('GET /api/me', { token });
  }

  me(): Promise<MeResponse> {
    return this.request('GET /api/me');
  }

  // Audit trail -------------------------------------------------------------------------------

  listAudit(query: AuditListQuery = {}): Promise<AuditListResponse> {
    return this.request('GET /api/platform/audit', { query: { ...query } });
  }

  getConfig(): Promise<ConfigResponse> {
    return this.request('GET /api/platform/config');
  }

  putConfig(config: Partial<SystemConfig>): Promise<ConfigResponse> {
    return this.request('PUT /api/platform/config', { body: config });
  }

  // Executions and workflows ------------------------------------------------------------------

  async submitExecution(input: SubmitExecutionInput): Promise<ExecutionRecord> {
    const body: ExecutionResponse = await this.request('POST /api/executions', { body: input });
    return body.execution;
  }

  async getExecution(executionId: string): Promise<ExecutionRecord> {
    const body: ExecutionResponse = await this.request('GET /api/executions/:executionId', {
      params: { executionId },
    });
    return body.execution;
  }

  listExecutions(filters: ExecutionFilters = {}): Promise<ExecutionListResponse> {
    return this.request('GET /api/executions', { query: { ...filters } });
  }

  async listWorkflows(): Promise<WorkflowCatalogEntry[]> {
    const body: WorkflowsResponse = await this.request('GET /api/workflows');
    return body.workflows;
  }
}
