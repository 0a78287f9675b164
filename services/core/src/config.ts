/**
 * Configuration from the environment, parsed and validated once at start-up. A bad value stops
 * start-up with a ConfigError naming the variable, the value given and what is accepted.
 */
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
  /** V8 old-generation limit of each execution thread: a memory hog fails alone. */
  threadMaxHeapMb: number;
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
  commandPollMs: number;
  maxInputBytes: number;
  workerId?: string;
  version: string;
}

type WorkerSettings = Omit<
  WorkerConfig,
  keyof SharedConfig | keyof QueueConfig | keyof EventsConfig
>;

function readWorker(reader: EnvReader): WorkerSettings {
  const threadPoolSize = reader.get('WORKER_THREAD_POOL_SIZE', integer(1, 64), 4);
  const useThreadWorkers = reader.get('USE_THREAD_WORKERS', boolean, false);
  const executionsPerThread = reader.get('WORKER_EXECUTIONS_PER_THREAD', integer(1, 64), 1);
  const threadSlots = threadPoolSize * executionsPerThread;
  const settings: WorkerSettings = {
    useThreadWorkers,
    threadPoolSize,
    executionsPerThread,
    maxConcurrency: reader.get(
      'WORKER_MAX_CONCURRENCY',
      integer(1, 256),
      useThreadWorkers ? Math.min(threadSlots, 256) : threadPoolSize,
    ),
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
    commandPollMs: reader.get('WORKER_COMMAND_POLL_SECONDS', decimal(0.1, 60), 1) * 1000,
    maxInputBytes: reader.get('MAX_INPUT_BYTES', integer(2, 240 * 1024), 64 * 1024),
    workerId: reader.optional(
      'WORKER_ID',
      text(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-" (1-128)'),
    ),
    version: reader.get('WARDEN_VERSION', text(), '0.1.0'),
  };
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
  cognitoUserPoolId?: string;
  cognitoClientId?: string;
  /** Cognito group whose members are admins. */
  adminGroup: string;
  /** Origin allowed by CORS (the admin app). */
  corsOrigin: string;
  alertTopicArn?: string;
  ecsClusterArn?: string;
  circuitBreakerIntervalMs: number;
  /** A worker without a heartbeat for this long is reported silent. */
  silentWorkerMs: number;
  /** A process DRAINING for longer is reported in the fleet health. */
  drainingAlarmMs: number;
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
    cognitoUserPoolId: reader.optional(
      'COGNITO_USER_POOL_ID',
      text(
        /^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/,
        'a Cognito user pool id such as us-east-1_AbCdEf',
      ),
    ),
    cognitoClientId: reader.optional('COGNITO_CLIENT_ID', text()),
    adminGroup: reader.get('WARDEN_ADMIN_GROUP', text(), 'platform-admins'),
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
  };
  if (authMode === 'token' && !config.adminToken) {
    reader.problems.push(
      'WARDEN_ADMIN_TOKEN is required when WARDEN_AUTH_MODE=token: expected at least 16 characters without spaces',
    );
  }
  if (config.nonAdminToken && config.nonAdminToken === config.adminToken) {
    reader.problems.push('WARDEN_NON_ADMIN_TOKEN must differ from WARDEN_ADMIN_TOKEN');
  }
  if (authMode === 'cognito' && (!config.cognitoUserPoolId || !config.cognitoClientId)) {
    reader.problems.push(
      'COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID are required when WARDEN_AUTH_MODE=cognito',
    );
  }
  reader.done();
  return config;
}
