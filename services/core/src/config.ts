/**
 * Configuration from the environment, parsed and validated once at start-up. A bad value stops
 * start-up with a ConfigError naming the variable, the value given and what is accepted.
 */
import { DEFAULT_POOL_SEMI_SPACE_MB } from './node-flags.js';
import { TABLE_NAMES, tableEnvVar, tableNameFor, type TableName } from './resources.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads one setting's text: the value, or undefined when it is not one `accepts` describes. */
export interface Parser<T> {
  accepts: string;
  parse(raw: string): T | undefined;
}

const integer = (min: number, max: number): Parser<number> => ({
  accepts: `an integer from ${min} to ${max}`,
  parse: (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) return undefined;
    const value = Number(raw);
    return value >= min && value <= max ? value : undefined;
  },
});

const decimal = (min: number, max: number): Parser<number> => ({
  accepts: `a number from ${min} to ${max}`,
  parse: (raw) => {
    if (!/^\d+(\.\d+)?$/.test(raw.trim())) return undefined;
    const value = Number(raw);
    return value >= min && value <= max ? value : undefined;
  },
});

const boolean: Parser<boolean> = {
  accepts: '"true" or "false" (also 1/0, yes/no)',
  parse: (raw) => {
    const value = raw.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    return undefined;
  },
};

const text = (pattern?: RegExp, accepts = 'a non-empty string'): Parser<string> => ({
  accepts,
  parse: (raw) => (raw.length > 0 && (!pattern || pattern.test(raw)) ? raw : undefined),
});

const url: Parser<string> = {
  accepts: 'an http(s) or ws(s) URL',
  parse: (raw) => {
    try {
      const parsed = new URL(raw);
      return ['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * Names a runner must never be given through WORKFLOW_ENV_ALLOW: the worker's own settings and
 * credentials. Workflows get AWS credentials of their own (WORKFLOW_ROLE_ARN).
 */
const FORBIDDEN_WORKFLOW_ENV =
  /^(WARDEN_|AWS_ACCESS_KEY_ID$|AWS_SECRET_ACCESS_KEY$|AWS_SESSION_TOKEN$|AWS_CREDENTIAL_EXPIRATION$|AWS_CONTAINER_|AWS_WEB_IDENTITY_TOKEN_FILE$|AWS_ROLE_ARN$|AWS_PROFILE$|AWS_SHARED_CREDENTIALS_FILE$|AWS_CONFIG_FILE$|ECS_CONTAINER_METADATA_URI|WORKFLOW_)/;

const envNameList: Parser<string[]> = {
  accepts:
    'a comma-separated list of environment variable names (letters, digits, "_"; not WARDEN_*, WORKFLOW_*, ECS_* or AWS credential variables)',
  parse: (raw) => {
    const names = raw
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const valid = names.every(
      (name) => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name) && !FORBIDDEN_WORKFLOW_ENV.test(name),
    );
    return valid ? [...new Set(names)] : undefined;
  },
};

const oneOf = <T extends string>(...values: T[]): Parser<T> => ({
  accepts: values.map((v) => `"${v}"`).join(', '),
  parse: (raw) => (values.includes(raw as T) ? (raw as T) : undefined),
});

/**
 * The one reader of settings from the environment: collects every problem before failing, so one
 * start-up attempt reports all of them, each naming the variable and what it accepts.
 */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  optional<T>(name: string, parser: Parser<T>): T | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = parser.parse(raw);
    if (value === undefined)
      this.problems.push(`${name}=${JSON.stringify(raw)} is not valid: expected ${parser.accepts}`);
    return value;
  }

  get<T>(name: string, parser: Parser<T>, fallback: T): T {
    return this.optional(name, parser) ?? fallback;
  }

  required<T>(name: string, parser: Parser<T>, placeholder: T): T {
    const value = this.optional(name, parser);
    if (value === undefined && (this.env[name] === undefined || this.env[name] === '')) {
      this.problems.push(`${name} is required: expected ${parser.accepts}`);
    }
    return value ?? placeholder;
  }

  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}

/** The parsers EnvReader takes, for settings read outside this module (the local stack's). */
export const envParsers = { integer, decimal, boolean, text, url, oneOf } as const;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SharedConfig {
  region: string;
  logLevel: LogLevel;
  tablePrefix: string;
  /** Physical table names by logical name. */
  tables: Record<TableName, string>;
}

function readShared(reader: EnvReader): SharedConfig {
  const tablePrefix = reader.get(
    'WARDEN_TABLE_PREFIX',
    text(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" or "-" (1-64)'),
    'warden',
  );
  const tables = Object.fromEntries(
    TABLE_NAMES.map((table) => [
      table,
      reader.get(
        tableEnvVar(table),
        text(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name'),
        tableNameFor(tablePrefix, table),
      ),
    ]),
  ) as Record<TableName, string>;
  return {
    region: reader.get(
      'AWS_REGION',
      text(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
      'us-east-1',
    ),
    logLevel: reader.get(
      'LOG_LEVEL',
      oneOf<LogLevel>('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
      'info',
    ),
    tablePrefix,
    tables,
  };
}

/**
 * Executions one thread runs at once by default. Sharing a warm thread is what halves memory
 * (docs/benchmarks.md); a thread blocked by one execution costs its neighbours a retry, never a
 * stuck record. 1 restores a thread per execution. The CDK context defaults to the same.
 */
export const DEFAULT_EXECUTIONS_PER_THREAD = 8;

export function loadSharedConfig(env: Env = process.env): SharedConfig {
  const reader = new EnvReader(env);
  const config = readShared(reader);
  reader.done();
  return config;
}

export interface QueueConfig {
  queueUrl: string;
  deadLetterQueueUrl: string;
}

export interface EventsConfig {
  /** The API Gateway management (callback) URL events are posted to; unset = no live events. */
  eventsEndpoint?: string;
}

function readQueues(reader: EnvReader): QueueConfig {
  return {
    queueUrl: reader.required('WARDEN_QUEUE_URL', url, ''),
    deadLetterQueueUrl: reader.required('WARDEN_DLQ_URL', url, ''),
  };
}

export interface WorkerConfig extends SharedConfig, QueueConfig, EventsConfig {
  /** Feature flag: thread pool in recyclable processes (true) or a process per execution. */
  useThreadWorkers: boolean;
  threadPoolSize: number;
  /**
   * Executions one thread runs at once (thread mode). Above 1, I/O-bound executions share a warm
   * thread and its loaded modules; a thread that blocks or overflows its heap takes all of them.
   */
  executionsPerThread: number;
  /** Executions one worker runs at once, in either mode. */
  maxConcurrency: number;
  cancelGraceMs: number;
  heartbeatIntervalMs: number;
  workflowsDir?: string;
  defaultTimeoutSeconds: number;
  /** A pool process is recycled after this many executions. */
  maxExecutionsPerProcess: number;
  /** A pool process is recycled above this resident memory. */
  maxProcessMemoryMb: number;
  /**
   * Thread mode: a thread whose event loop has not turned for this long is blocked; the execution
   * holding it stays on the stuck ladder, its neighbours are retried on a healthy thread.
   */
  threadBlockedMs: number;
  /** Thread mode: a thread idle this long is stopped (one stays warm). */
  threadIdleMs: number;
  /** V8 old-generation limit of each execution thread: a memory hog fails alone. */
  threadMaxHeapMb: number;
  /** Thread mode: V8 semi-space (MiB) of the pool process and its threads (node-flags.ts). */
  poolSemiSpaceMb: number;
  /** After SIGTERM, messages still running at this deadline go back to the queue. */
  shutdownDeadlineMs: number;
  /** How long an exiting process gets between SIGTERM and SIGKILL. */
  killCapMs: number;
  visibilityTimeoutSeconds: number;
  /**
   * SQS long-poll wait. A stopping worker lets its last poll finish (a poll abandoned mid-wait
   * can still take a message out of sight), so this also bounds how long an idle worker takes
   * to stop.
   */
  pollWaitSeconds: number;
  blacklistCacheMs: number;
  /** A paused workflow's message is sent back to wait this long before it is looked at again. */
  pauseRecheckSeconds: number;
  commandPollMs: number;
  maxInputBytes: number;
  workerId?: string;
  version: string;
  /** Extra environment variable names a runner may see, besides NODE_ENV, TZ, LANG, AWS_REGION. */
  workflowEnvAllow: string[];
  /** AWS: the role whose short-lived credentials workflows get (never the worker's own). */
  workflowRoleArn?: string;
  /** Local stack: the (dummy) credentials workflows get for the emulators. */
  workflowCredentials?: { accessKeyId: string; secretAccessKey: string };
}

type WorkerSettings = Omit<
  WorkerConfig,
  keyof SharedConfig | keyof QueueConfig | keyof EventsConfig
>;

function readWorker(reader: EnvReader): WorkerSettings {
  const threadPoolSize = reader.get('WORKER_THREAD_POOL_SIZE', integer(1, 64), 4);
  const useThreadWorkers = reader.get('USE_THREAD_WORKERS', boolean, false);
  const executionsPerThread = reader.get(
    'WORKER_EXECUTIONS_PER_THREAD',
    integer(1, 64),
    DEFAULT_EXECUTIONS_PER_THREAD,
  );
  const threadSlots = threadPoolSize * executionsPerThread;
  const settings: WorkerSettings = {
    useThreadWorkers,
    threadPoolSize,
    executionsPerThread,
    maxConcurrency: reader.get(
      'WORKER_MAX_CONCURRENCY',
      integer(1, 256),
      // The same default in both modes, so flipping USE_THREAD_WORKERS changes memory, not load.
      Math.min(threadPoolSize, threadSlots),
    ),
    threadBlockedMs: reader.get('WORKER_THREAD_BLOCKED_SECONDS', decimal(0.5, 600), 5) * 1000,
    threadIdleMs: reader.get('WORKER_THREAD_IDLE_SECONDS', decimal(1, 86_400), 60) * 1000,
    cancelGraceMs: reader.get('CANCEL_GRACE_SECONDS', decimal(0.1, 600), 10) * 1000,
    heartbeatIntervalMs:
      reader.get('WORKER_HEARTBEAT_INTERVAL_SECONDS', decimal(0.5, 300), 10) * 1000,
    workflowsDir: reader.optional('WORKFLOWS_DIR', text()),
    defaultTimeoutSeconds: reader.get('DEFAULT_TIMEOUT_SECONDS', decimal(0.1, 43200), 300),
    maxExecutionsPerProcess: reader.get(
      'WORKER_MAX_EXECUTIONS_PER_PROCESS',
      integer(1, 10_000_000),
      10_000,
    ),
    maxProcessMemoryMb: reader.get('WORKER_MAX_PROCESS_MEMORY_MB', integer(64, 65_536), 1536),
    threadMaxHeapMb: reader.get('WORKER_THREAD_MAX_HEAP_MB', integer(16, 16_384), 256),
    poolSemiSpaceMb: reader.get(
      'WORKER_POOL_SEMI_SPACE_MB',
      integer(1, 64),
      DEFAULT_POOL_SEMI_SPACE_MB,
    ),
    shutdownDeadlineMs:
      reader.get('WORKER_SHUTDOWN_DEADLINE_SECONDS', decimal(1, 3600), 100) * 1000,
    killCapMs: reader.get('WORKER_KILL_CAP_SECONDS', decimal(0.1, 60), 5) * 1000,
    visibilityTimeoutSeconds: reader.get(
      'WORKER_VISIBILITY_TIMEOUT_SECONDS',
      integer(5, 43200),
      30,
    ),
    pollWaitSeconds: reader.get('WORKER_POLL_WAIT_SECONDS', integer(1, 20), 10),
    blacklistCacheMs: reader.get('BLACKLIST_CACHE_SECONDS', decimal(0, 300), 5) * 1000,
    pauseRecheckSeconds: reader.get('WORKER_PAUSE_RECHECK_SECONDS', integer(1, 900), 5),
    commandPollMs: reader.get('WORKER_COMMAND_POLL_SECONDS', decimal(0.1, 60), 1) * 1000,
    maxInputBytes: reader.get('MAX_INPUT_BYTES', integer(2, 240 * 1024), 64 * 1024),
    workerId: reader.optional(
      'WORKER_ID',
      text(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-" (1-128)'),
    ),
    version: reader.get('WARDEN_VERSION', text(), '0.1.0'),
    workflowEnvAllow: reader.get('WORKFLOW_ENV_ALLOW', envNameList, []),
    workflowRoleArn: reader.optional(
      'WORKFLOW_ROLE_ARN',
      text(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN'),
    ),
  };
  const accessKeyId = reader.optional('WORKFLOW_AWS_ACCESS_KEY_ID', text(/^\S{1,128}$/));
  const secretAccessKey = reader.optional('WORKFLOW_AWS_SECRET_ACCESS_KEY', text(/^\S{1,128}$/));
  if (accessKeyId && secretAccessKey) {
    settings.workflowCredentials = { accessKeyId, secretAccessKey };
  } else if (accessKeyId || secretAccessKey) {
    reader.problems.push(
      'WORKFLOW_AWS_ACCESS_KEY_ID and WORKFLOW_AWS_SECRET_ACCESS_KEY go together: set both or neither',
    );
  }
  if (settings.workflowRoleArn && settings.workflowCredentials) {
    reader.problems.push(
      'WORKFLOW_ROLE_ARN and WORKFLOW_AWS_ACCESS_KEY_ID exclude each other: workflows get the role (AWS) or fixed keys (emulators)',
    );
  }
  if (settings.maxConcurrency > threadSlots && settings.useThreadWorkers) {
    reader.problems.push(
      `WORKER_MAX_CONCURRENCY=${settings.maxConcurrency} is more than WORKER_THREAD_POOL_SIZE=${threadPoolSize} × WORKER_EXECUTIONS_PER_THREAD=${executionsPerThread}: in thread mode each execution needs a thread slot`,
    );
  }
  return settings;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const reader = new EnvReader(env);
  const config: WorkerConfig = {
    ...readShared(reader),
    ...readQueues(reader),
    eventsEndpoint: reader.optional('WARDEN_EVENTS_ENDPOINT', url),
    ...readWorker(reader),
  };
  reader.done();
  return config;
}

/**
 * Validates the worker's own settings without the deployment-provided ones (queue URLs), so a
 * launcher such as `npm start` can refuse a bad value before it starts anything.
 */
export function checkWorkerSettings(env: Env = process.env): void {
  const reader = new EnvReader(env);
  readWorker(reader);
  reader.done();
}

export type AuthMode = 'token' | 'cognito';

export interface ControlPlaneConfig extends SharedConfig, QueueConfig, EventsConfig {
  authMode: AuthMode;
  /** Local mode: the one admin token. */
  adminToken?: string;
  /**
   * Local mode, optional: a token that authenticates but carries no admin role (every admin
   * route answers 403 to it), so the role check can be exercised without Cognito.
   */
  nonAdminToken?: string;
  /** Local mode, optional: a read-only token (the viewer role): every read, no mutation. */
  viewerToken?: string;
  cognitoUserPoolId?: string;
  cognitoClientId?: string;
  /** Cognito group whose members are admins. */
  adminGroup: string;
  /** Cognito group whose members are viewers: they read everything and change nothing. */
  viewerGroup: string;
  /** Origin allowed by CORS (the admin app). */
  corsOrigin: string;
  alertTopicArn?: string;
  ecsClusterArn?: string;
  circuitBreakerIntervalMs: number;
  /** A worker without a heartbeat for this long is reported silent. */
  silentWorkerMs: number;
  /** A process DRAINING for longer is reported in the fleet health. */
  drainingAlarmMs: number;
  /**
   * A worker without a heartbeat for this long is marked LOST by the sweep: it leaves the silent
   * and draining counts and the RUNNING executions under its expired leases are failed.
   */
  lostWorkerMs: number;
}

export function loadControlPlaneConfig(env: Env = process.env): ControlPlaneConfig {
  const reader = new EnvReader(env);
  const shared = readShared(reader);
  const queues = readQueues(reader);
  const authMode = reader.get('WARDEN_AUTH_MODE', oneOf<AuthMode>('token', 'cognito'), 'token');
  const config: ControlPlaneConfig = {
    ...shared,
    ...queues,
    eventsEndpoint: reader.optional('WARDEN_EVENTS_ENDPOINT', url),
    authMode,
    adminToken: reader.optional(
      'WARDEN_ADMIN_TOKEN',
      text(/^\S{16,512}$/, 'at least 16 characters without spaces'),
    ),
    nonAdminToken: reader.optional(
      'WARDEN_NON_ADMIN_TOKEN',
      text(/^\S{16,512}$/, 'at least 16 characters without spaces'),
    ),
    viewerToken: reader.optional(
      'WARDEN_VIEWER_TOKEN',
      text(/^\S{16,512}$/, 'at least 16 characters without spaces'),
    ),
    cognitoUserPoolId: reader.optional(
      'COGNITO_USER_POOL_ID',
      text(
        /^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/,
        'a Cognito user pool id such as us-east-1_AbCdEf',
      ),
    ),
    cognitoClientId: reader.optional('COGNITO_CLIENT_ID', text()),
    adminGroup: reader.get('WARDEN_ADMIN_GROUP', text(), 'platform-admins'),
    viewerGroup: reader.get('WARDEN_VIEWER_GROUP', text(), 'warden-viewers'),
    corsOrigin: reader.get('WARDEN_CORS_ORIGIN', url, 'http://127.0.0.1:5173'),
    alertTopicArn: reader.optional(
      'WARDEN_ALERT_TOPIC_ARN',
      text(/^arn:aws[a-z-]*:sns:/, 'an SNS topic ARN'),
    ),
    ecsClusterArn: reader.optional('WARDEN_ECS_CLUSTER', text()),
    circuitBreakerIntervalMs:
      reader.get('CIRCUIT_BREAKER_INTERVAL_SECONDS', decimal(0.5, 3600), 60) * 1000,
    silentWorkerMs: reader.get('WORKER_SILENT_AFTER_SECONDS', decimal(1, 86_400), 300) * 1000,
    drainingAlarmMs: reader.get('DRAINING_ALARM_SECONDS', decimal(1, 7 * 86_400), 3600) * 1000,
    lostWorkerMs: reader.get('WORKER_LOST_AFTER_SECONDS', decimal(1, 86_400), 900) * 1000,
  };
  if (config.lostWorkerMs <= config.silentWorkerMs) {
    reader.problems.push(
      `WORKER_LOST_AFTER_SECONDS=${config.lostWorkerMs / 1000} must be greater than WORKER_SILENT_AFTER_SECONDS=${config.silentWorkerMs / 1000}: a worker is silent before it is lost`,
    );
  }
  if (authMode === 'token' && !config.adminToken) {
    reader.problems.push(
      'WARDEN_ADMIN_TOKEN is required when WARDEN_AUTH_MODE=token: expected at least 16 characters without spaces',
    );
  }
  if (config.nonAdminToken && config.nonAdminToken === config.adminToken) {
    reader.problems.push('WARDEN_NON_ADMIN_TOKEN must differ from WARDEN_ADMIN_TOKEN');
  }
  if (config.viewerToken && config.viewerToken === config.adminToken) {
    reader.problems.push('WARDEN_VIEWER_TOKEN must differ from WARDEN_ADMIN_TOKEN');
  }
  if (config.viewerToken && config.viewerToken === config.nonAdminToken) {
    reader.problems.push('WARDEN_VIEWER_TOKEN must differ from WARDEN_NON_ADMIN_TOKEN');
  }
  if (config.viewerGroup === config.adminGroup) {
    reader.problems.push('WARDEN_VIEWER_GROUP must differ from WARDEN_ADMIN_GROUP');
  }
  if (authMode === 'cognito' && (!config.cognitoUserPoolId || !config.cognitoClientId)) {
    reader.problems.push(
      'COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID are required when WARDEN_AUTH_MODE=cognito',
    );
  }
  reader.done();
  return config;
}
