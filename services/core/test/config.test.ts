import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadControlPlaneConfig,
  loadSharedConfig,
  loadWorkerConfig,
  tableEnvVar,
} from '../src/index.js';

const queues = {
  WARDEN_QUEUE_URL: 'http://127.0.0.1:1/000/q',
  WARDEN_DLQ_URL: 'http://127.0.0.1:1/000/dlq',
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('worker configuration', () => {
  it('applies the rollout plan defaults', () => {
    const config = loadWorkerConfig(queues);
    expect(config.useThreadWorkers).toBe(false);
    expect(config.threadPoolSize).toBe(4);
    expect(config.cancelGraceMs).toBe(10_000);
    expect(config.heartbeatIntervalMs).toBe(10_000);
    expect(config.maxConcurrency).toBe(4);
    expect(config.tables.Executions).toBe('warden-Executions');
  });

  it.each(['0', 'abc', '-1', '2.5', '65'])(
    'rejects WORKER_THREAD_POOL_SIZE=%s naming the variable and what is accepted',
    (value) => {
      const problems = problemsOf(() =>
        loadWorkerConfig({ ...queues, WORKER_THREAD_POOL_SIZE: value }),
      );
      expect(problems).toEqual([
        `WORKER_THREAD_POOL_SIZE=${JSON.stringify(value)} is not valid: expected an integer from 1 to 64`,
      ]);
    },
  );

  it('reads the flag in the spellings operators use', () => {
    expect(loadWorkerConfig({ ...queues, USE_THREAD_WORKERS: 'true' }).useThreadWorkers).toBe(true);
    expect(loadWorkerConfig({ ...queues, USE_THREAD_WORKERS: '1' }).useThreadWorkers).toBe(true);
    expect(loadWorkerConfig({ ...queues, USE_THREAD_WORKERS: 'FALSE' }).useThreadWorkers).toBe(
      false,
    );
    expect(
      problemsOf(() => loadWorkerConfig({ ...queues, USE_THREAD_WORKERS: 'maybe' }))[0],
    ).toMatch(/^USE_THREAD_WORKERS="maybe" is not valid/);
  });

  it('reports every problem at once, including missing queue URLs', () => {
    const problems = problemsOf(() =>
      loadWorkerConfig({ CANCEL_GRACE_SECONDS: 'soon', WORKER_HEARTBEAT_INTERVAL_SECONDS: '0' }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^WARDEN_QUEUE_URL is required/),
        expect.stringMatching(/^WARDEN_DLQ_URL is required/),
        expect.stringMatching(/^CANCEL_GRACE_SECONDS="soon" is not valid: expected a number/),
        expect.stringMatching(/^WORKER_HEARTBEAT_INTERVAL_SECONDS="0" is not valid/),
      ]),
    );
  });

  it('refuses more concurrent executions than threads in thread mode', () => {
    const problems = problemsOf(() =>
      loadWorkerConfig({
        ...queues,
        USE_THREAD_WORKERS: 'true',
        WORKER_THREAD_POOL_SIZE: '2',
        WORKER_MAX_CONCURRENCY: '20',
      }),
    );
    expect(problems[0]).toMatch(
      /WORKER_MAX_CONCURRENCY=20 is more than WORKER_THREAD_POOL_SIZE=2 × WORKER_EXECUTIONS_PER_THREAD=8/,
    );
  });

  it('shares threads by default with the same concurrency as process mode, and one setting turns sharing off', () => {
    const flipped = loadWorkerConfig({ ...queues, USE_THREAD_WORKERS: 'true' });
    expect(flipped.executionsPerThread).toBe(8);
    expect(flipped.maxConcurrency).toBe(4);
    expect(flipped.threadBlockedMs).toBe(5000);
    expect(flipped.threadIdleMs).toBe(60_000);
    const alone = loadWorkerConfig({
      ...queues,
      USE_THREAD_WORKERS: 'true',
      WORKER_EXECUTIONS_PER_THREAD: '1',
    });
    expect(alone.executionsPerThread).toBe(1);
    expect(alone.maxConcurrency).toBe(4);
    expect(
      problemsOf(() => loadWorkerConfig({ ...queues, WORKER_THREAD_BLOCKED_SECONDS: '0.1' }))[0],
    ).toMatch(/^WORKER_THREAD_BLOCKED_SECONDS="0.1" is not valid: expected a number from 0.5/);
  });

  it('starts pool processes with a small young generation unless told otherwise', () => {
    expect(loadWorkerConfig(queues).poolSemiSpaceMb).toBe(2);
    expect(loadWorkerConfig({ ...queues, WORKER_POOL_SEMI_SPACE_MB: '16' }).poolSemiSpaceMb).toBe(
      16,
    );
    expect(
      problemsOf(() => loadWorkerConfig({ ...queues, WORKER_POOL_SEMI_SPACE_MB: '0' }))[0],
    ).toMatch(/^WORKER_POOL_SEMI_SPACE_MB="0" is not valid: expected an integer from 1 to 64/);
  });
});

describe('shared configuration', () => {
  it('derives table names from the prefix and lets one be overridden', () => {
    const config = loadSharedConfig({
      WARDEN_TABLE_PREFIX: 'prod',
      [tableEnvVar('StuckRecords')]: 'stuck-table',
    });
    expect(config.tables.Blacklist).toBe('prod-Blacklist');
    expect(config.tables.StuckRecords).toBe('stuck-table');
    expect(tableEnvVar('WorkerCommands')).toBe('WARDEN_TABLE_WORKER_COMMANDS');
  });

  it('rejects a malformed region', () => {
    expect(problemsOf(() => loadSharedConfig({ AWS_REGION: 'moon' }))[0]).toMatch(
      /^AWS_REGION="moon" is not valid: expected an AWS region/,
    );
  });
});

describe('what workflows may see', () => {
  it('reads WORKFLOW_ENV_ALLOW and refuses worker settings and credentials in it', () => {
    expect(
      loadWorkerConfig({ ...queues, WORKFLOW_ENV_ALLOW: 'TEAM, PATH,TEAM' }).workflowEnvAllow,
    ).toEqual(['TEAM', 'PATH']);
    for (const bad of [
      'WARDEN_ADMIN_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'not-a-name',
    ]) {
      expect(
        problemsOf(() => loadWorkerConfig({ ...queues, WORKFLOW_ENV_ALLOW: `TEAM,${bad}` }))[0],
      ).toMatch(
        /^WORKFLOW_ENV_ALLOW=".*" is not valid: expected a comma-separated list of environment variable names/,
      );
    }
  });

  it('takes a workflow role ARN or a pair of emulator keys, not both', () => {
    expect(
      loadWorkerConfig({ ...queues, WORKFLOW_ROLE_ARN: 'arn:aws:iam::123456789012:role/wf' })
        .workflowRoleArn,
    ).toBe('arn:aws:iam::123456789012:role/wf');
    expect(problemsOf(() => loadWorkerConfig({ ...queues, WORKFLOW_ROLE_ARN: 'wf' }))[0]).toBe(
      'WORKFLOW_ROLE_ARN="wf" is not valid: expected an IAM role ARN',
    );
    expect(
      problemsOf(() => loadWorkerConfig({ ...queues, WORKFLOW_AWS_ACCESS_KEY_ID: 'k' })),
    ).toEqual([
      'WORKFLOW_AWS_ACCESS_KEY_ID and WORKFLOW_AWS_SECRET_ACCESS_KEY go together: set both or neither',
    ]);
  });
});

describe('control-plane configuration', () => {
  it('requires an admin token in token mode and Cognito ids in cognito mode', () => {
    expect(problemsOf(() => loadControlPlaneConfig(queues))[0]).toMatch(
      /^WARDEN_ADMIN_TOKEN is required/,
    );
    expect(
      problemsOf(() => loadControlPlaneConfig({ ...queues, WARDEN_AUTH_MODE: 'cognito' }))[0],
    ).toMatch(/COGNITO_USER_POOL_ID/);
    expect(
      loadControlPlaneConfig({ ...queues, WARDEN_ADMIN_TOKEN: 'x'.repeat(32) })
        .circuitBreakerIntervalMs,
    ).toBe(60_000);
  });

  it('marks workers lost after WORKER_LOST_AFTER_SECONDS (900 s by default), longer than silent', () => {
    const base = { ...queues, WARDEN_ADMIN_TOKEN: 'x'.repeat(32) };
    expect(loadControlPlaneConfig(base).lostWorkerMs).toBe(900_000);
    expect(
      loadControlPlaneConfig({
        ...base,
        WORKER_SILENT_AFTER_SECONDS: '1',
        WORKER_LOST_AFTER_SECONDS: '3',
      }),
    ).toMatchObject({
      lostWorkerMs: 3000,
    });
    expect(
      problemsOf(() => loadControlPlaneConfig({ ...base, WORKER_LOST_AFTER_SECONDS: 'soon' })),
    ).toEqual(['WORKER_LOST_AFTER_SECONDS="soon" is not valid: expected a number from 1 to 86400']);
    expect(
      problemsOf(() =>
        loadControlPlaneConfig({
          ...base,
          WORKER_SILENT_AFTER_SECONDS: '600',
          WORKER_LOST_AFTER_SECONDS: '300',
        }),
      ),
    ).toEqual([
      'WORKER_LOST_AFTER_SECONDS=300 must be greater than WORKER_SILENT_AFTER_SECONDS=600: a worker is silent before it is lost',
    ]);
  });

  it('reads the viewer token and group, and refuses ones that cannot work, by name', () => {
    const admin = { ...queues, WARDEN_ADMIN_TOKEN: 'a'.repeat(32) };
    const ok = loadControlPlaneConfig({ ...admin, WARDEN_VIEWER_TOKEN: 'v'.repeat(32) });
    expect(ok).toMatchObject({ viewerToken: 'v'.repeat(32), viewerGroup: 'warden-viewers' });
    expect(
      problemsOf(() => loadControlPlaneConfig({ ...admin, WARDEN_VIEWER_TOKEN: 'short' }))[0],
    ).toMatch(/^WARDEN_VIEWER_TOKEN=.*at least 16 characters/);
    expect(
      problemsOf(() => loadControlPlaneConfig({ ...admin, WARDEN_VIEWER_TOKEN: 'a'.repeat(32) })),
    ).toContain('WARDEN_VIEWER_TOKEN must differ from WARDEN_ADMIN_TOKEN');
    expect(
      problemsOf(() =>
        loadControlPlaneConfig({
          ...admin,
          WARDEN_NON_ADMIN_TOKEN: 'n'.repeat(32),
          WARDEN_VIEWER_TOKEN: 'n'.repeat(32),
        }),
      ),
    ).toContain('WARDEN_VIEWER_TOKEN must differ from WARDEN_NON_ADMIN_TOKEN');
    expect(
      problemsOf(() =>
        loadControlPlaneConfig({ ...admin, WARDEN_VIEWER_GROUP: 'platform-admins' }),
      ),
    ).toContain('WARDEN_VIEWER_GROUP must differ from WARDEN_ADMIN_GROUP');
  });
});
