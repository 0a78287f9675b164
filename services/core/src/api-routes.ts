/**
 * Every route of the admin HTTP API, once, as `METHOD /path` with Hono's `:name` path
 * parameters. Both clients (the CLI's and the admin app's) check their calls against the ApiRoute
 * type, so a path that is not served fails to compile; the admin app uses only the types (it may
 * import nothing of core at run time). A test compares the list with the routes the API's app
 * really serves.
 */
export const API_ROUTES = [
  // Fleet
  'GET /api/platform/workers',
  'GET /api/platform/workers/:workerId',
  'DELETE /api/platform/workers/:workerId',
  'POST /api/platform/workers/:workerId/processes/:pid/recycle',
  'POST /api/platform/workers/:workerId/stop',
  'GET /api/platform/queue',
  'GET /api/platform/rollout',
  // Circuit breaker and configuration
  'GET /api/platform/stuck-history',
  'GET /api/platform/blacklist',
  'POST /api/platform/blacklist',
  'DELETE /api/platform/blacklist/:workflowId',
  'GET /api/platform/config',
  'PUT /api/platform/config',
  // Operator controls
  'GET /api/platform/workflows/paused',
  'POST /api/platform/workflows/:workflowId/pause',
  'POST /api/platform/workflows/:workflowId/resume',
  'GET /api/platform/dead-letters',
  'POST /api/platform/dead-letters/redrive',
  'POST /api/platform/dead-letters/delete',
  'GET /api/platform/audit',
  // Executions and workflows
  'GET /api/executions',
  'POST /api/executions',
  'GET /api/executions/:executionId',
  'POST /api/executions/:executionId/cancel',
  'POST /api/executions/:executionId/rerun',
  'POST /api/executions/bulk-cancel',
  'POST /api/executions/bulk-rerun',
  'GET /api/workflows',
  // Who is calling
  'GET /api/me',
] as const;

/** One route: `METHOD /path`. */
export type ApiRoute = (typeof API_ROUTES)[number];

/** The HTTP method of a route. */
export type ApiRouteMethod<R extends ApiRoute> = R extends `${infer M} ${string}` ? M : never;

/** The path template of a route. */
export type ApiRoutePath<R extends ApiRoute> = R extends `${string} ${infer P}` ? P : never;

type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** The names of a route's path parameters (never for a route without any). */
export type ApiRouteParamName<R extends ApiRoute> = ParamNames<ApiRoutePath<R>>;

/** A value for every path parameter of a route; each is URI-encoded into the path. */
export type ApiRouteParams<R extends ApiRoute> = { [K in ApiRouteParamName<R>]: string | number };

/**
 * The rest arguments of a client's call of a route: options `O` plus `params` when the route has
 * path parameters (then required), options alone (optional) when it has none.
 */
export type ApiRouteArgs<R extends ApiRoute, O> = [ApiRouteParamName<R>] extends [never]
  ? [options?: O & { params?: undefined }]
  : [options: O & { params: ApiRouteParams<R> }];
