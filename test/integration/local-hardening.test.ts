/**
 * The local stack's own defences, over real sockets: the servers answer only requests addressed
 * to a loopback name with their port (DNS rebinding), the WebSocket gateway's @connections
 * management API refuses callers without the stack's secret, and the CLI (a real child process)
 * never sends a token where it should not and escapes terminal control characters it prints.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serveAdminUi, type AdminUiServer } from '@warden/local/admin-ui';
import { startTestStack, type TestStack } from '../support/stack.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

const BIN = 'services/client/bin/warden.js';

let stack: TestStack;
let cp: TestControlPlane;
let adminUi: AdminUiServer;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
  const root = join(mkdtempSync(join(tmpdir(), 'warden-ui-')), 'dist');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="app"></div>');
  adminUi = await serveAdminUi({
    root,
    port: 0,
    runtime: { apiUrl: cp.apiUrl, webSocketUrl: cp.webSocketUrl, auth: { mode: 'token' } },
  });
});
afterAll(async () => {
  await adminUi?.stop();
  await cp?.stop();
  await stack?.stop();
});

/** One HTTP request with a chosen Host header (fetch does not let a caller set it). */
function send(
  url: string,
  options: { method?: string; host?: string; body?: string; token?: string } = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: {
          Host: options.host ?? target.host,
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the local servers check the Host header', () => {
  it('answer loopback names with their port, and refuse any other name with 421', async () => {
    const api = new URL(cp.apiUrl);
    for (const host of [`127.0.0.1:${api.port}`, `localhost:${api.port}`, `[::1]:${api.port}`]) {
      const ok = await send(`${cp.apiUrl}/api/platform/workers`, { host, token: cp.adminToken });
      expect(ok.status, host).toBe(200);
    }
    for (const host of [
      `rebind.example:${api.port}`,
      `127.0.0.1:1`,
      `localhost.evil.test:${api.port}`,
    ]) {
      const refused = await send(`${cp.apiUrl}/api/platform/workers`, {
        host,
        token: cp.adminToken,
      });
      expect(refused.status, host).toBe(421);
      expect(refused.body).toContain('is not this local server');
    }
    const ui = new URL(adminUi.url);
    expect((await send(`${adminUi.url}/config.json`)).status).toBe(200);
    expect(
      (await send(`${adminUi.url}/config.json`, { host: `evil.test:${ui.port}` })).status,
    ).toBe(421);
    const gateway = new URL(cp.eventsEndpoint);
    expect(
      (await send(`${cp.eventsEndpoint}/@connections/x`, { host: `evil.test:${gateway.port}` }))
        .status,
    ).toBe(421);
  });

  it('refuses a WebSocket handshake addressed to another name', async () => {
    const url = `${cp.webSocketUrl}?token=${encodeURIComponent(cp.adminToken)}`;
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(url, { headers: { Host: 'rebind.example' } });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', () => resolve(-1));
    });
    expect(status).toBe(421);
    const listener = await cp.listen();
    await listener.close();
  });
});

describe("the gateway's management API", () => {
  it("refuses callers without the stack's secret; its publishers have it", async () => {
    const endpoint = new URL(cp.eventsEndpoint);
    const [, secret, stage] = endpoint.pathname.split('/');
    expect(secret!.length).toBeGreaterThanOrEqual(24);
    const origin = `${endpoint.protocol}//${endpoint.host}`;
    const withoutSecret = await send(`${origin}/${stage}/@connections/abc`, {
      method: 'POST',
      body: '{}',
    });
    expect(withoutSecret.status).toBe(403);
    expect(withoutSecret.body).toContain("needs the local stack's secret");
    const wrongSecret = await send(
      `${origin}/${'x'.repeat(secret!.length)}/${stage}/@connections/abc`,
      {
        method: 'POST',
        body: '{}',
      },
    );
    expect(wrongSecret.status).toBe(403);
    // With the secret: an unknown connection is 410, as API Gateway answers.
    const known = await send(`${cp.eventsEndpoint}/@connections/abc`, {
      method: 'POST',
      body: '{}',
    });
    expect(known.status).toBe(410);

    // And events still flow from the stack's own publisher (the API, here).
    const listener = await cp.listen();
    const added = await cp.api('POST', '/api/platform/blacklist', {
      body: { workflowId: 'secret-probe', reason: 'publishes an event' },
    });
    expect(added.status).toBe(201);
    await listener.next('workflow_blacklisted', (e) => e.entry.workflowId === 'secret-probe');
    await listener.close();
  });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          WARDEN_HOME: join(tmpdir(), 'warden-no-home'),
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

describe('the CLI', () => {
  it('never sends a stored token to a URL from elsewhere, nor over plain http off this machine', async () => {
    const home = mkdtempSync(join(tmpdir(), 'warden-cli-home-'));
    writeFileSync(
      join(home, 'outputs.json'),
      JSON.stringify({ WardenLocal: { ApiUrl: cp.apiUrl, AdminToken: cp.adminToken } }),
    );
    const [urlFlagOnly, envUrlFileToken, plainHttp, fromFile] = await Promise.all([
      cli(['--api-url', 'https://attacker.example', 'workers', 'list'], { WARDEN_HOME: home }),
      cli(['workers', 'list'], { WARDEN_HOME: home, WARDEN_API_URL: 'https://attacker.example' }),
      cli(['--api-url', 'http://api.example.com', '--token', 'a-token-a-token', 'workers', 'list']),
      cli(['workers', 'list'], { WARDEN_HOME: home }),
    ]);
    expect(urlFlagOnly.code).toBe(2);
    expect(urlFlagOnly.stderr).toContain('--api-url needs --token as well');
    expect(envUrlFileToken.code).toBe(2);
    expect(envUrlFileToken.stderr).toContain('WARDEN_API_URL needs WARDEN_ADMIN_TOKEN');
    expect(plainHttp.code).toBe(2);
    expect(plainHttp.stderr).toContain(
      'Refusing to send the token over plain http to api.example.com',
    );
    expect(fromFile.code).toBe(0);
  });

  it('escapes terminal control characters in the fields it prints', async () => {
    await stack.repos.executions.createQueued({ executionId: 'ansi-1', workflowId: 'echo' });
    await stack.repos.executions.failUnrun({
      executionId: 'ansi-1',
      workflowId: 'echo',
      errorType: 'WorkflowError',
      errorMessage: 'boom \u001b]0;owned\u0007\u001b[2J\r\u202eevil',
      queuedAt: new Date().toISOString(),
    });
    const env = { WARDEN_API_URL: cp.apiUrl, WARDEN_ADMIN_TOKEN: cp.adminToken };
    const [show, list] = await Promise.all([
      cli(['executions', 'show', 'ansi-1'], env),
      cli(['executions', 'list', '--workflow', 'echo'], env),
    ]);
    for (const result of [show, list]) {
      expect(result.code).toBe(0);
      // eslint-disable-next-line no-control-regex
      expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    }
    expect(show.stdout).toContain('boom \\x1b]0;owned\\x07\\x1b[2J\\x0d\\u202eevil');
  });
});
