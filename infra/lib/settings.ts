/**
 * Deployment settings from CDK context (`cdk.json` defaults, overridden with `-c key=value`),
 * parsed and validated once. Values from the command line arrive as strings and values from
 * cdk.json as JSON, so every parser accepts both. A bad value stops the synth with a message
 * naming the key, the value given and what is accepted.
 */
import { DEFAULT_EXECUTIONS_PER_THREAD } from '@warden/core';

/**
 * The worker settings of one service. A key given plainly (`-c executionsPerThread=4`) sets the
 * baseline and, unless overridden, the canary; `canary` + the key (`-c canaryExecutionsPerThread=8`)
 * sets the canary alone, so the canary can try a setting the baseline does not run.
 */
export interface WorkerServiceSettings {
  /** WORKER_THREAD_POOL_SIZE */
  threadPoolSize: number;
  /** WORKER_EXECUTIONS_PER_THREAD */
  executionsPerThread: number;
  /** WORKER_MAX_CONCURRENCY; unset lets the worker use its default. */
  maxConcurrency?: number;
  /** CANCEL_GRACE_SECONDS */
  cancelGraceSeconds: number;
  /** WORKER_HEARTBEAT_INTERVAL_SECONDS */
  heartbeatIntervalSeconds: number;
  /** WORKER_MAX_EXECUTIONS_PER_PROCESS; the worker's default when unset. */
  maxExecutionsPerProcess?: number;
  /** WORKER_MAX_PROCESS_MEMORY_MB; the worker's default when unset. */
  maxProcessMemoryMb?: number;
  /** WORKER_THREAD_MAX_HEAP_MB; the worker's default when unset. */
  threadMaxHeapMb?: number;
  /** WORKER_POOL_SEMI_SPACE_MB; the worker's default when unset. */
  poolSemiSpaceMb?: number;
}

/** Context keys of the per-service worker settings (the canary's are `canary` + Key). */
export const WORKER_SERVICE_KEYS = [
  'threadPoolSize',
  'executionsPerThread',
  'maxConcurrency',
  'cancelGraceSeconds',
  'heartbeatIntervalSeconds',
  'maxExecutionsPerProcess',
  'maxProcessMemoryMb',
  'threadMaxHeapMb',
  'poolSemiSpaceMb',
] as const satisfies readonly (keyof WorkerServiceSettings)[];

export const canaryKey = (key: string): string => `canary${key[0]!.toUpperCase()}${key.slice(1)}`;

export interface DeploySettings {
  /** Prefix of stack, table and queue names; tables are `<prefix>-<Table>` as core expects. */
  prefix: string;
  /** The feature flag for the baseline worker service. */
  useThreadWorkers: boolean;
  /** Adds a one-task service with the flag on beside the baseline. */
  canary: boolean;
  workerCpu: number;
  workerMemoryMiB: number;
  /** Baseline tasks at rest; also the scaling floor. */
  desiredCount: number;
  /** Scaling ceiling of the baseline service. */
  maxCount: number;
  /** WORKER_MAX_CONCURRENCY; unset lets the worker use its default (the pool size). */
  maxConcurrency?: number;
  threadPoolSize: number;
  cancelGraceSeconds: number;
  heartbeatIntervalSeconds: number;
  /** Scale out when visible messages per running task exceed this. */
  targetBacklogPerTask: number;
  /** Alarm when the oldest message in the work queue is older than this. */
  oldestMessageAlarmSeconds: number;
  /**
   * Alarm when the canary's (thread mode) success rate is below the baseline's (process mode) by
   * more than this many percentage points over 15 minutes.
   */
  canarySuccessRateMarginPercent: number;
  /** Optional e-mail subscribed to the alarm and notification topic. */
  alarmEmail?: string;
  /** Cognito group whose members are admins. */
  adminGroup: string;
  /** Cognito group whose members are viewers (read everything, change nothing). */
  viewerGroup: string;
  /** Extra OAuth callback / sign-out URLs for the admin app client (e.g. a dev server). */
  extraCallbackUrls: string[];
  natGateways: number;
  logRetentionDays: number;
  logLevel: string;
  /** The workflows folder baked into the worker image (both services); the samples when unset. */
  workflowsDir?: string;
  /** Base image of the worker image (the Dockerfile's NODE_IMAGE); its default when unset. */
  workerBaseImage?: string;
  /** The baseline service's worker settings (the plain keys; also the fields above). */
  baselineWorker: WorkerServiceSettings;
  /** The canary service's worker settings: the baseline's, overridden by `canary<Key>`. */
  canaryWorker: WorkerServiceSettings;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SettingsError';
  }
}

/** What `node.tryGetContext` can hand back: JSON from cdk.json or a string from `-c`. */
type ContextLookup = (key: string) => unknown;

const FARGATE_CPU_MEMORY: Record<number, [number, number, number]> = {
  // cpu: [min MiB, max MiB, step MiB]
  256: [512, 2048, 512],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

class ContextReader {
  readonly problems: string[] = [];
  constructor(private readonly lookup: ContextLookup) {}

  private raw(key: string): unknown {
    const value = this.lookup(key);
    return value === '' || value === null ? undefined : value;
  }

  private fail(key: string, value: unknown, accepts: string): undefined {
    this.problems.push(`${key}=${JSON.stringify(value)} is not valid: expected ${accepts}`);
    return undefined;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    return this.fail(key, value, 'true or false') ?? fallback;
  }

  optionalInteger(key: string, min: number, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const parsed =
      typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      return this.fail(key, value, `an integer from ${min} to ${max}`);
    }
    return parsed;
  }

  integer(key: string, min: number, max: number, fallback: number): number {
    return this.optionalInteger(key, min, max) ?? fallback;
  }

  decimal(key: string, min: number, max: number, fallback: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const parsed =
      typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(String(value)) ? Number(value) : NaN;
    if (Number.isNaN(parsed) || parsed < min || parsed > max) {
      return this.fail(key, value, `a number from ${min} to ${max}`) ?? fallback;
    }
    return parsed;
  }

  oneOf<T extends string | number>(key: string, values: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const found = values.find((candidate) => String(candidate) === String(value));
    return found ?? this.fail(key, value, `one of ${values.join(', ')}`) ?? fallback;
  }

  text(key: string, pattern: RegExp, accepts: string, fallback: string): string;
  text(key: string, pattern: RegExp, accepts: string): string | undefined;
  text(key: string, pattern: RegExp, accepts: string, fallback?: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !pattern.test(value)) {
      return this.fail(key, value, accepts) ?? fallback;
    }
    return value;
  }

  urlList(key: string): string[] {
    const value = this.raw(key);
    if (value === undefined) return [];
    const items = Array.isArray(value)
      ? value
      : String(value)
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
    const valid = items.filter((item): item is string => {
      try {
        const url = new URL(String(item));
        return url.protocol === 'https:' || url.hostname === 'localhost';
      } catch {
        return false;
      }
    });
    if (valid.length !== items.length) {
      this.fail(key, value, 'https URLs (or http://localhost...), comma-separated');
    }
    return valid;
  }
}

const plain = (name: string): string => name;

/** One service's worker settings; `key` maps a setting's name to the context key read. */
function readWorkerService(
  reader: ContextReader,
  key: (name: string) => string,
  fallback: Partial<WorkerServiceSettings> & { threadPoolSize: number },
): WorkerServiceSettings {
  return {
    // The baseline's pool size is read with the sizes of the task (its fallback already).
    threadPoolSize:
      key === plain
        ? fallback.threadPoolSize
        : reader.integer(key('threadPoolSize'), 1, 64, fallback.threadPoolSize),
    executionsPerThread: reader.integer(
      key('executionsPerThread'),
      1,
      64,
      fallback.executionsPerThread ?? DEFAULT_EXECUTIONS_PER_THREAD,
    ),
    maxConcurrency:
      reader.optionalInteger(key('maxConcurrency'), 1, 256) ?? fallback.maxConcurrency,
    cancelGraceSeconds: reader.decimal(
      key('cancelGraceSeconds'),
      0.1,
      600,
      fallback.cancelGraceSeconds ?? 10,
    ),
    heartbeatIntervalSeconds: reader.decimal(
      key('heartbeatIntervalSeconds'),
      0.5,
      300,
      fallback.heartbeatIntervalSeconds ?? 10,
    ),
    maxExecutionsPerProcess:
      reader.optionalInteger(key('maxExecutionsPerProcess'), 1, 10_000_000) ??
      fallback.maxExecutionsPerProcess,
    maxProcessMemoryMb:
      reader.optionalInteger(key('maxProcessMemoryMb'), 64, 65_536) ?? fallback.maxProcessMemoryMb,
    threadMaxHeapMb:
      reader.optionalInteger(key('threadMaxHeapMb'), 16, 16_384) ?? fallback.threadMaxHeapMb,
    poolSemiSpaceMb:
      reader.optionalInteger(key('poolSemiSpaceMb'), 1, 64) ?? fallback.poolSemiSpaceMb,
  };
}

/** In thread mode every execution needs a thread slot: maxConcurrency ≤ threads × per thread. */
function checkThreadSlots(
  problems: string[],
  service: WorkerServiceSettings,
  key: (name: string) => string,
  label: string,
): void {
  const slots = service.threadPoolSize * service.executionsPerThread;
  if (service.maxConcurrency !== undefined && service.maxConcurrency > slots) {
    problems.push(
      `${key('maxConcurrency')}=${service.maxConcurrency} is more than ${key('threadPoolSize')} × ${key('executionsPerThread')} = ${service.threadPoolSize} × ${service.executionsPerThread} = ${slots} for the ${label} (thread workers): expected at most ${slots}`,
    );
  }
}

export function readSettings(lookup: ContextLookup): DeploySettings {
  const reader = new ContextReader(lookup);
  const workerCpu = reader.oneOf('workerCpu', Object.keys(FARGATE_CPU_MEMORY).map(Number), 1024);
  const workerMemoryMiB = reader.integer('workerMemoryMiB', 512, 122_880, 2048);
  const desiredCount = reader.integer('desiredCount', 1, 100, 2);
  const maxCount = reader.integer('maxCount', 1, 500, 10);
  const threadPoolSize = reader.integer('threadPoolSize', 1, 64, 4);
  const baselineWorker = readWorkerService(reader, plain, { threadPoolSize });
  const settings: DeploySettings = {
    prefix: reader.text(
      'prefix',
      /^[a-z][a-z0-9-]{1,30}$/,
      'lower-case letters, digits and "-", starting with a letter (2-31)',
      'warden',
    ),
    useThreadWorkers: reader.boolean('useThreadWorkers', false),
    canary: reader.boolean('canary', false),
    workerCpu,
    workerMemoryMiB,
    desiredCount,
    maxCount,
    maxConcurrency: baselineWorker.maxConcurrency,
    threadPoolSize,
    cancelGraceSeconds: baselineWorker.cancelGraceSeconds,
    heartbeatIntervalSeconds: baselineWorker.heartbeatIntervalSeconds,
    targetBacklogPerTask: reader.integer('targetBacklogPerTask', 1, 10_000, 8),
    oldestMessageAlarmSeconds: reader.integer('oldestMessageAlarmSeconds', 60, 1_209_600, 900),
    canarySuccessRateMarginPercent: reader.decimal('canarySuccessRateMarginPercent', 0, 100, 2),
    alarmEmail: reader.text('alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an e-mail address'),
    adminGroup: reader.text(
      'adminGroup',
      /^[\w+=,.@-]{1,128}$/,
      'a Cognito group name',
      'platform-admins',
    ),
    viewerGroup: reader.text(
      'viewerGroup',
      /^[\w+=,.@-]{1,128}$/,
      'a Cognito group name',
      'warden-viewers',
    ),
    extraCallbackUrls: reader.urlList('extraCallbackUrls'),
    natGateways: reader.integer('natGateways', 0, 3, 1),
    logRetentionDays: reader.oneOf('logRetentionDays', LOG_RETENTION_DAYS, 30),
    logLevel: reader.oneOf('logLevel', LOG_LEVELS, 'info'),
    workflowsDir: reader.text('workflowsDir', /^\S.*$/, 'a path to a folder of workflow modules'),
    workerBaseImage: reader.text(
      'workerBaseImage',
      /^[\w./:@-]+$/,
      'an image reference such as node:24-bookworm-slim',
    ),
    baselineWorker,
    canaryWorker: readWorkerService(reader, canaryKey, baselineWorker),
  };

  const range = FARGATE_CPU_MEMORY[workerCpu];
  if (range) {
    const [min, max, step] = range;
    if (workerMemoryMiB < min || workerMemoryMiB > max || workerMemoryMiB % step !== 0) {
      reader.problems.push(
        `workerMemoryMiB=${workerMemoryMiB} does not fit workerCpu=${workerCpu}: Fargate accepts ${min} to ${max} MiB in steps of ${step}`,
      );
    }
  }
  if (settings.useThreadWorkers) {
    checkThreadSlots(reader.problems, settings.baselineWorker, plain, 'baseline service');
  }
  if (settings.canary) {
    // Name the key the value came from: the canary's own, or the plain one it inherited.
    const canaryName = (name: string) =>
      lookup(canaryKey(name)) === undefined ? name : canaryKey(name);
    checkThreadSlots(reader.problems, settings.canaryWorker, canaryName, 'canary service');
  }
  if (maxCount < desiredCount) {
    reader.problems.push(
      `maxCount=${maxCount} is below desiredCount=${desiredCount}: the scaling ceiling must be at least the floor`,
    );
  }
  if (reader.problems.length) throw new SettingsError(reader.problems);
  return settings;
}
