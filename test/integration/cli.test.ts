/**
 * The `warden` CLI as a user runs it (a child process, `npx warden` included) against the
 * control plane over HTTP: tables, --json, exit codes, and where it finds the URL and token.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlacklistResponse, WorkersResponse } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';

const BIN = 'services/client/bin/warden.js';

let stack: TestStack;
let cp: TestControlPlane;
let home: string;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  await stack.repos.workers.register(workerRecord('cli-worker'));
  home = await mkdtemp(join(tmpdir(), 'warden-cli-'));
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process (the API it calls lives here). */
function run(
  args: string[],
  env: Record<string, string | undefined> = {},
  command: [string, string[]] = [process.execPath, [BIN]],
): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      command[0],
      [...command[1], ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          WARDEN_HOME: join(home, 'none'),
          ...env,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 99) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const cli = (...args: string[]) =>
  run(args, { WARDEN_API_URL: cp.apiUrl, WARDEN_ADMIN_TOKEN: cp.adminToken });

describe('warden CLI', () => {
  it('lists workers as a table, and as the API JSON with --json', async () => {
    const text = await cli('workers', 'list');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/WORKER.*HEALTH.*MODE/);
    expect(text.stdout).toMatch(/cli-worker.*online.*thread/);
    expect(text.stdout).toMatch(/4242 g3 ACTIVE/);
    const json = await cli('--json', 'workers', 'list');
    expect((JSON.parse(json.stdout) as WorkersResponse).workers[0]?.workerId).toBe('cli-worker');
  });

  it('submits an execution and shows it', async () => {
    const submitted = await cli(
      'submit',
      'echo',
      '--input',
      '{"n":1}',
      '--timeout',
      '5',
      '--id',
      'cli-1',
    );
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/Queued cli-1 \(echo\), status QUEUED/);
    const shown = await cli('executions', 'show', 'cli-1');
    expect(shown.stdout).toMatch(/Status\s*│\s*QUEUED/);
    expect(shown.stdout).toMatch(/\{"n":1\}/);
    const listed = await cli('executions', 'list', '--workflow', 'echo');
    expect(listed.stdout).toMatch(/cli-1.*echo.*QUEUED/);
    expect(await stack.repos.executions.get('cli-1')).toMatchObject({ submittedBy: 'local-admin' });
  });

  it('manages the blacklist, and submitting a blacklisted workflow fails with exit code 1', async () => {
    const added = await cli('blacklist', 'add', 'cpu-spin', '--reason', 'spins forever');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Blacklisted cpu-spin \(manual:spins forever\)/);
    const listed = await cli('blacklist', 'list');
    expect(listed.stdout).toMatch(/cpu-spin.*manual:spins forever.*local-admin/);

    const refused = await cli('submit', 'cpu-spin');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /409 WORKFLOW_BLACKLISTED \[workflowId\]: Workflow cpu-spin is blacklisted/,
    );

    const removed = await cli('blacklist', 'remove', 'cpu-spin');
    expect(removed.stdout).toMatch(/restarts from zero/);
    const all = await cli('--json', 'blacklist', 'list', '--all');
    const body = JSON.parse(all.stdout) as BlacklistResponse;
    expect(body.entries).toEqual([]);
    expect(body.history?.[0]).toMatchObject({ workflowId: 'cpu-spin', removedBy: 'local-admin' });
    const missing = await cli('blacklist', 'remove', 'cpu-spin');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 NOT_BLACKLISTED/);
  });

  it('reads and sets the circuit-breaker config, refusing bad values before calling', async () => {
    const set = await cli('config', 'set', '--threshold', '3', '--window-minutes', '15');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/stuck_circuit_breaker_threshold\s*│\s*3/);
    const got = await cli('config', 'get');
    expect(got.stdout).toMatch(/stuck_circuit_breaker_window_minutes\s*│\s*15/);
    expect(got.stdout).toMatch(/by local-admin/);
    const bad = await cli('config', 'set', '--threshold', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--threshold must be an integer from 1 to 1000/);
    expect((await stack.repos.systemConfig.get()).stuck_circuit_breaker_threshold).toBe(3);
  });

  it('prints the audit trail, and searches executions by id prefix', async () => {
    const viewer = await run(['config', 'set', '--threshold', '9'], {
      WARDEN_API_URL: cp.apiUrl,
      WARDEN_ADMIN_TOKEN: cp.viewerToken,
    });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/403 FORBIDDEN: This action needs the admin role/);
    const audit = await cli('audit', '--target', 'cpu-spin');
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/ACTOR.*ACTION.*TARGET.*OUTCOME/);
    expect(audit.stdout).toMatch(/local-admin.*admin.*blacklist\.create.*cpu-spin.*success 201/);
    expect(audit.stdout).toMatch(/blacklist\.delete.*cpu-spin.*failed 404/);
    const denied = await cli('audit', '--actor', 'local-viewer');
    expect(denied.stdout).toMatch(/local-viewer.*viewer.*config\.update.*config.*denied 403/);
    const found = await cli('executions', 'list', '--search', 'cli-');
    expect(found.stdout).toMatch(/cli-1.*echo/);
    const none = await cli('executions', 'list', '--search', 'zzz');
    expect(none.stdout).toMatch(/No executions match/);
  });

  it('recycles a process, reading its generation when none is given', async () => {
    const recycled = await cli('workers', 'recycle', 'cli-worker', '4242');
    expect(recycled.code).toBe(0);
    expect(recycled.stdout).toMatch(/Recycle requested: command recycle-4242-g3/);
    const stale = await cli('workers', 'recycle', 'cli-worker', '4242', '--generation', '1');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/409 STALE_GENERATION/);
  });

  it('shows the queue, stuck history and workflow catalog', async () => {
    const [queue, stuck, workflows] = await Promise.all([
      cli('queue'),
      cli('stuck', '--hours', '2'),
      cli('workflows'),
    ]);
    expect(queue.stdout).toMatch(/Tracked \(QUEUED\)\s*│\s*1/);
    expect(queue.stdout).toMatch(/cli-1.*Echo/);
    expect(stuck.stdout).toMatch(/Nothing stuck in the last 2 h/);
    expect(workflows.stdout).toMatch(/cpu-spin.*CPU spin.*10 s/);
  });

  it('finds the URL and token in the outputs file, flags overriding it', async () => {
    const outputs = join(home, 'outputs.json');
    await writeFile(
      outputs,
      JSON.stringify({ WardenLocal: { ApiUrl: cp.apiUrl, AdminToken: cp.adminToken } }),
    );
    const [fromFile, viaHome, wrongToken, nothing] = await Promise.all([
      run(['--outputs', outputs, 'workers', 'list']),
      run(['workers', 'list'], { WARDEN_HOME: home }),
      run(['--token', 'wrong-token-wrong-token', 'workers', 'list'], { WARDEN_HOME: home }),
      run(['workers', 'list']),
    ]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/cli-worker/);
    expect(viaHome.code).toBe(0);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/401 UNAUTHENTICATED/);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/No API URL: pass --api-url, set WARDEN_API_URL/);
  });

  it('runs as `npx warden` from the repository root', async () => {
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    const result = await run(
      ['workers', 'list'],
      { WARDEN_API_URL: cp.apiUrl, WARDEN_ADMIN_TOKEN: cp.adminToken, npm_config_offline: 'true' },
      [npx, ['--no-install', 'warden']],
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/cli-worker/);
  });
});
