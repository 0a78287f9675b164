import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from './support/fake-api';
import { blacklistEntry, queueResponse, workersResponse } from './support/fixtures';
import { click, element, mountApp, page, see, type MountedApp } from './support/mount-app';

let api: FakeApi;
let app: MountedApp | undefined;

const VIEWER = {
  id: 'local-viewer',
  role: 'viewer',
  readOnlyReason:
    'local-viewer has the viewer role: actions need the admin role (group platform-admins)',
};

beforeEach(async () => {
  api = await new FakeApi().start();
  api.on('GET /api/me', { body: VIEWER });
  api.on('GET /api/workflows', {
    body: {
      workflows: [{ id: 'echo', name: 'Echo', timeoutSeconds: 30, workers: 1, blacklisted: true }],
    },
  });
  api.on('GET /api/platform/workers', { body: workersResponse() });
  api.on('GET /api/platform/queue', { body: queueResponse() });
  api.on('GET /api/platform/blacklist', {
    body: { entries: [blacklistEntry({ workflowId: 'echo' })], history: [] },
  });
  api.on('GET /api/platform/config', {
    body: { stuck_circuit_breaker_threshold: 3, stuck_circuit_breaker_window_minutes: 60 },
  });
});

afterEach(async () => {
  await app?.unmount();
  app = undefined;
  await api.stop();
});

describe('a viewer', () => {
  it.each(['/workers', '/blacklist', '/executions', '/settings'])(
    'sees %s with no action and a read-only note saying why',
    async (path) => {
      api.on('GET /api/executions', { body: { items: [] } });
      app = await mountApp(api, path, { role: 'viewer' });
      await see('Read-only');
      await see('actions need the admin role');
      expect(document.querySelectorAll('[data-action]')).toHaveLength(0);
      expect(page()).not.toMatch(/Run a workflow|Blacklist a workflow|Stop worker|Recycle/);
    },
  );

  it('cannot edit the circuit-breaker settings', async () => {
    app = await mountApp(api, '/settings', { role: 'viewer' });
    const input = await element<HTMLInputElement>('#threshold');
    expect(input.disabled).toBe(true);
  });

  it('loses the actions when the API says the kept session is now only a viewer', async () => {
    app = await mountApp(api, '/blacklist', { role: 'admin' });
    // The session said admin; the API's answer to /api/me wins once it arrives.
    await see('Read-only');
    expect(document.querySelectorAll('[data-action]')).toHaveLength(0);
  });

  it('keeps the actions for an admin, with no read-only note', async () => {
    api.on('GET /api/me', { body: { id: 'local-admin', role: 'admin' } });
    app = await mountApp(api, '/blacklist');
    await see('Blacklist a workflow');
    expect(page()).not.toContain('Read-only');
    await click('Blacklist a workflow');
  });
});
