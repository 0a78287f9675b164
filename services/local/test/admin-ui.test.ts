/**
 * The admin app's local server: the built files, the app's own routes answered with index.html,
 * a runtime config.json naming the local API, and nothing outside the app's folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@warden/core';
import { adminUiOrigin, adminUiPort, serveAdminUi, type AdminUiServer } from '../src/admin-ui.js';

let root: string;
let server: AdminUiServer;

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'warden-admin-ui-'));
  root = join(base, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(base, 'secret.txt'), 'not for the browser');
  // Port 0 here only because this test calls the server directly, not through `npm start`.
  server = await serveAdminUi({
    root,
    port: 0,
    runtime: {
      apiUrl: 'http://127.0.0.1:4000',
      webSocketUrl: 'ws://127.0.0.1:4001/local',
      auth: { mode: 'token' },
    },
  });
});

afterAll(async () => {
  await server.stop();
  rmSync(join(root, '..'), { recursive: true, force: true });
});

describe('the admin app server', () => {
  it('serves config.json with the local endpoints, never cached', async () => {
    const response = await fetch(`${server.url}/config.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      apiUrl: 'http://127.0.0.1:4000',
      webSocketUrl: 'ws://127.0.0.1:4001/local',
      auth: { mode: 'token' },
    });
  });

  it("answers the app's own routes with index.html, and hashed assets as immutable", async () => {
    for (const path of ['/', '/workers', '/executions/abc-123', '/login?redirect=/blacklist']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain('<div id="app">');
    }
    const asset = await fetch(`${server.url}/assets/index-abc123.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('sends a content security policy that allows the API and WebSocket only', async () => {
    const csp = (await fetch(`${server.url}/workers`)).headers.get('content-security-policy');
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:4000 ws://127.0.0.1:4001/local");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('answers 404 for a missing file, and never serves what lies outside the app', async () => {
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      expect(await response.text(), path).not.toContain('not for the browser');
    }
    expect((await fetch(`${server.url}/config.json`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the admin app port', () => {
  it('defaults to 5173, the origin the API allows by default', () => {
    expect(adminUiPort({})).toBe(5173);
    expect(adminUiOrigin({})).toBe('http://127.0.0.1:5173');
    expect(adminUiOrigin({ WARDEN_ADMIN_PORT: '8080' })).toBe('http://127.0.0.1:8080');
  });

  it('refuses a port it cannot fix before start-up, naming the variable', () => {
    for (const raw of ['0', '70000', 'abc']) {
      expect(() => adminUiPort({ WARDEN_ADMIN_PORT: raw })).toThrow(ConfigError);
      expect(() => adminUiPort({ WARDEN_ADMIN_PORT: raw })).toThrow(/WARDEN_ADMIN_PORT/);
    }
  });
});
