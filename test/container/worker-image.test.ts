/**
 * The worker image, built with `npm run image` and run as ECS runs it: read-only root with a
 * tmpfs /tmp, the image's non-root user, host network (the local stack's emulators listen on
 * 127.0.0.1). It joins a running `npm start` that has no worker of its own through the stack's
 * `WorkerEnvironment`, runs the team's workflow with its own dependency, records a
 * `while (true) {}` as ExecutionStuck in thread mode, and on `podman stop` (SIGTERM) drains, exits
 * 0 and leaves its worker OFFLINE.
 *
 * Needs root, podman with runc and debootstrap (.ci/run installs them). No image registry is
 * reachable here, so the Node 24 base is a stand-in built once and cached (stand-in-base.sh).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenClient } from '@warden/client';
import { WITHOUT_RUNNER_BACKEND, freePort, spawnNode, type Spawned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: join(ROOT, 'test/container/containers.conf'),
  WARDEN_CONTAINER_ENGINE: 'podman',
};
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const tag = `localhost/warden-worker:test-${suffix}`;
const containerName = `warden-worker-test-${suffix}`;
const workerId = `container-${suffix}`;

/** Runs a command to completion, logging how long it took; throws with its output on failure. */
async function run(command: string, args: string[], label: string): Promise<string> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: podmanEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk), (output += chunk)));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  process.stdout.write(
    `[container test] ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (code !== 0) throw new Error(`${label} failed (exit ${code}):\n${output.slice(-4000)}`);
  return stdout.trim();
}

const podman = (...args: string[]): string =>
  execFileSync('podman', args, { env: podmanEnv, encoding: 'utf8' }).trim();

let base: string;
let stack: Spawned;
let home: string;
let workflows: string;
let client: WardenClient;
let workerEnvironment: Record<string, string>;

beforeAll(async () => {
  base = (await run('bash', ['test/container/stand-in-base.sh'], 'stand-in base image'))
    .split('\n')
    .at(-1)!;

  // The example team folder (without its node_modules), plus a runaway and a slow workflow.
  workflows = mkdtempSync(join(tmpdir(), 'warden-team-workflows-'));
  cpSync(join(ROOT, 'examples/workflows'), workflows, {
    recursive: true,
    filter: (source) => !source.includes('node_modules'),
  });
  writeFileSync(
    join(workflows, 'runaway.mjs'),
    "export default { id: 'runaway', timeoutSeconds: 1, run() { while (true) {} } };\n",
  );
  writeFileSync(
    join(workflows, 'slow.mjs'),
    "import { setTimeout } from 'node:timers/promises';\n" +
      "export default { id: 'slow', run: async () => { await setTimeout(3000); return 'done'; } };\n",
  );
  await run(
    'npm',
    ['run', 'image', '--', '--workflows', workflows, '--base', base, '--tag', tag],
    'npm run image',
  );

  home = mkdtempSync(join(tmpdir(), 'warden-home-'));
  stack = spawnNode('services/local/dist/main.js', {
    ...WITHOUT_RUNNER_BACKEND,
    WARDEN_HOME: home,
    WARDEN_WORKERS: '0',
    WARDEN_ADMIN_PORT: String(await freePort()),
    USE_THREAD_WORKERS: undefined,
    WORKFLOWS_DIR: undefined,
  });
  const outputsFile = join(home, 'outputs.json');
  await waitFor(
    () => `npm start (output so far: ${stack.output().slice(-500)})`,
    () => existsSync(outputsFile) && /Press Ctrl-C/.test(stack.output()),
    { timeoutMs: 60_000 },
  );
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')).WardenLocal as {
    ApiUrl: string;
    AdminToken: string;
    WorkerEnvironment: Record<string, string>;
  };
  workerEnvironment = outputs.WorkerEnvironment;
  client = new WardenClient({ apiUrl: outputs.ApiUrl, token: outputs.AdminToken });

  const env = {
    ...workerEnvironment,
    USE_THREAD_WORKERS: 'true',
    WORKER_ID: workerId,
    CANCEL_GRACE_SECONDS: '1',
    WORKER_SHUTDOWN_DEADLINE_SECONDS: '30',
    WORKER_POLL_WAIT_SECONDS: '2',
  };
  podman(
    'run',
    '--detach',
    '--name',
    containerName,
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--network',
    'host',
    ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    tag,
  );
}, 1_500_000);

afterAll(async () => {
  try {
    podman('rm', '--force', '--ignore', containerName);
    podman('rmi', '--force', '--ignore', tag);
  } catch {
    // Nothing was created.
  }
  if (stack && stack.child.exitCode === null) {
    stack.child.kill('SIGTERM');
    await stack.exited;
  }
  for (const dir of [workflows, home]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

async function finished(executionId: string) {
  return waitFor(
    `execution ${executionId} to finish (worker log: ${podman('logs', '--tail', '5', containerName)})`,
    async () => {
      const { execution } = await client.getExecution(executionId);
      return ['SUCCESS', 'FAILED', 'CANCELLED'].includes(execution.status) && execution;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

describe('the worker image', () => {
  it('joins the running stack through WorkerEnvironment, non-root on a read-only root', async () => {
    const worker = await waitFor(
      `worker ${workerId} online (log: ${podman('logs', '--tail', '20', containerName)})`,
      async () => {
        const { workers } = await client.listWorkers();
        return workers.find(
          (w) => w.workerId === workerId && w.status === 'ONLINE' && w.workflows?.length,
        );
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(worker.mode, JSON.stringify(worker)).toBe('thread');
    expect(worker.workflows?.map((w) => w.id).sort()).toEqual(['hello', 'runaway', 'slow', 'slug']);
    expect(podman('exec', containerName, 'id', '-u')).toBe('1000');
    expect(() =>
      execFileSync('podman', ['exec', containerName, 'touch', '/app/probe'], {
        env: podmanEnv,
        stdio: 'pipe',
      }),
    ).toThrow(/Read-only file system/);
  });

  it("runs the team's workflow with the dependency installed from the folder's lock file", async () => {
    const { execution } = await client.submitExecution({
      workflowId: 'slug',
      input: { title: 'Rollout for Real, 2nd try!' },
    });
    const done = await finished(execution.executionId);
    expect(done).toMatchObject({
      status: 'SUCCESS',
      output: { slug: 'rollout-for-real-2nd-try' },
      workerId,
    });
  });

  it('records a while (true) {} as ExecutionStuck in thread mode', async () => {
    const { execution } = await client.submitExecution({ workflowId: 'runaway' });
    const done = await finished(execution.executionId);
    expect(done).toMatchObject({ status: 'FAILED', errorType: 'ExecutionStuck', workerId });
    const { records } = await client.stuckHistory(1);
    expect(records.map((r) => r.executionId)).toContain(execution.executionId);
  });

  it('on SIGTERM (podman stop) lets the running execution finish, exits 0 and goes OFFLINE', async () => {
    const { execution } = await client.submitExecution({ workflowId: 'slow' });
    await waitFor(`execution ${execution.executionId} running`, async () => {
      const { execution: now } = await client.getExecution(execution.executionId);
      return now.status === 'RUNNING';
    });
    podman('stop', '--time', '60', containerName);
    expect(podman('inspect', containerName, '--format', '{{.State.ExitCode}}')).toBe('0');
    expect((await client.getExecution(execution.executionId)).execution).toMatchObject({
      status: 'SUCCESS',
      output: 'done',
    });
    const { workers } = await client.listWorkers();
    expect(workers.find((w) => w.workerId === workerId)?.status).toBe('OFFLINE');
  });
});

describe('npm run image', () => {
  it('builds the example folder as a clean clone has it', async () => {
    const exampleTag = `localhost/warden-worker:example-${suffix}`;
    try {
      await run(
        'npm',
        [
          'run',
          'image',
          '--',
          '--workflows',
          'examples/workflows',
          '--base',
          base,
          '--tag',
          exampleTag,
        ],
        'npm run image (examples/workflows)',
      );
      // The folder and the dependency installed from its lock file are in the image, and load.
      const check = ['node', 'services/workflows/dist/check-main.js', '/app/workflows'];
      expect(podman('run', '--rm', '--read-only', exampleTag, ...check)).toBe(
        '/app/workflows: 2 workflows load: hello, slug (10 s)',
      );
      expect(podman('image', 'inspect', exampleTag, '--format', '{{.Config.User}}')).toBe('node');
    } finally {
      podman('rmi', '--force', '--ignore', exampleTag);
    }
  }, 900_000);

  it('refuses to build a folder with a broken workflow, naming the problem', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'warden-broken-workflows-'));
    writeFileSync(join(broken, 'ok.mjs'), "export default { id: 'ok', run: () => 1 };\n");
    writeFileSync(join(broken, 'copy.mjs'), "export default { id: 'ok', run: () => 2 };\n");
    const brokenTag = `localhost/warden-worker:broken-${suffix}`;
    try {
      const error = await run(
        'npm',
        ['run', 'image', '--', '--workflows', broken, '--base', base, '--tag', brokenTag],
        'npm run image (broken folder)',
      ).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(
        'ok.mjs: workflow id "ok" is already defined by copy.mjs',
      );
      expect(() => podman('image', 'exists', brokenTag)).toThrow();
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 900_000);
});
