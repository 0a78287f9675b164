import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlacklistEntry } from '@warden/core';
import { FakeApi } from './support/fake-api';
import { blacklistEntry, iso, queueResponse, workersResponse } from './support/fixtures';
import {
  choose,
  click,
  element,
  live,
  mountApp,
  openOption,
  page,
  see,
  type,
  type MountedApp,
} from './support/mount-app';

let api: FakeApi;
let app: MountedApp | undefined;

const CATALOG = {
  workflows: [
    { id: 'cpu-spin', name: 'CPU spin', timeoutSeconds: 5, workers: 1, blacklisted: true },
    { id: 'echo', name: 'Echo', timeoutSeconds: 30, workers: 1, blacklisted: false },
    { id: 'sleep', name: 'Sleep', timeoutSeconds: 30, workers: 1, blacklisted: false },
  ],
};

beforeEach(async () => {
  api = await new FakeApi().start();
  api.on('GET /api/workflows', { body: CATALOG });
  api.on('GET /api/platform/workers', { body: workersResponse() });
  api.on('GET /api/platform/queue', { body: queueResponse() });
});

afterEach(async () => {
  await app?.unmount();
  app = undefined;
  await api.stop();
});

describe('the Blacklist view', () => {
  it('shows the empty state', async () => {
    api.on('GET /api/platform/blacklist', { body: { entries: [], history: [] } });
    app = await mountApp(api, '/blacklist');
    await see('No workflows are currently blacklisted');
    expect(page()).toContain('Nothing has been removed yet.');
    expect(api.requestsTo('GET /api/platform/blacklist')[0]?.query.get('include')).toBe('removed');
  });

  it('shows the error and a retry', async () => {
    api.on('GET /api/platform/blacklist', {
      status: 503,
      body: { error: { code: 'INTERNAL', message: 'DynamoDB is unavailable' } },
    });
    app = await mountApp(api, '/blacklist');
    await see('The blacklist could not be loaded');
    await see('DynamoDB is unavailable.');
  });

  it('lists why and by whom, and removes an entry after confirmation', async () => {
    const entries: BlacklistEntry[] = [
      blacklistEntry(),
      blacklistEntry({
        workflowId: 'sleep',
        reason: 'manual:hangs on vendor API',
        blacklistedBy: 'alice',
        stuckCount: undefined,
      }),
    ];
    api.on('GET /api/platform/blacklist', { body: { entries, history: [] } });
    api.on('DELETE /api/platform/blacklist/sleep', {
      body: { entry: { ...entries[1], removedAt: iso(0), removedBy: 'admin' } },
    });
    app = await mountApp(api, '/blacklist');
    await see('12× stuck');
    expect(page()).toContain('Manual: hangs on vendor API');
    expect(page()).toContain('Circuit breaker');
    expect(page()).toContain('alice');
    await see(/CPU spin\s*cpu-spin/);

    await click('Remove sleep from the blacklist');
    await see('Remove sleep from the blacklist?');
    expect(page()).toContain('its stuck counter starts from zero');
    await click('Remove from blacklist');
    await see('sleep removed from the blacklist');
    expect(api.requestsTo('DELETE /api/platform/blacklist/sleep')).toHaveLength(1);
    await vi.waitFor(() =>
      expect(
        document.querySelector('[data-role="blacklist-row"][data-workflow-id="sleep"]'),
      ).toBeNull(),
    );
    const history = await element('[data-testid="blacklist-history"]');
    expect(history.textContent).toContain('sleep');
    expect(history.textContent).toContain('admin');
  });

  it('follows blacklist events live', async () => {
    api.on('GET /api/platform/blacklist', { body: { entries: [], history: [] } });
    app = await mountApp(api, '/blacklist');
    await see('No workflows are currently blacklisted');
    await live();
    api.push({
      type: 'workflow_blacklisted',
      entry: blacklistEntry({ workflowId: 'echo', reason: 'auto:stuck:5', stuckCount: 5 }),
    });
    await see('5× stuck');
    api.push({ type: 'workflow_unblacklisted', workflowId: 'echo', removedBy: 'bob' });
    await see('No workflows are currently blacklisted');
    expect((await element('[data-testid="blacklist-history"]')).textContent).toContain('bob');
  });

  it('blacklists by hand: a workflow from the catalog and a required reason', async () => {
    api.on('GET /api/platform/blacklist', { body: { entries: [blacklistEntry()], history: [] } });
    api.on('POST /api/platform/blacklist', (request) => {
      const body = request.body as { workflowId: string; reason: string };
      return {
        status: 201,
        body: {
          entry: {
            workflowId: body.workflowId,
            reason: `manual:${body.reason}`,
            blacklistedAt: iso(0),
            blacklistedBy: 'admin',
          },
        },
      };
    });
    app = await mountApp(api, '/blacklist');
    await see('12× stuck');
    await click('Blacklist a workflow');
    await element('[data-testid="blacklist-dialog"]');
    await click('Blacklist workflow');
    await see('Choose the workflow to blacklist.');
    await see('Say why, so whoever removes it later knows what to check.');
    expect(api.requestsTo('POST /api/platform/blacklist')).toHaveLength(0);

    // Already blacklisted workflows cannot be chosen again.
    const taken = await openOption('[data-testid="blacklist-dialog"] .p-select', 'cpu-spin');
    expect(taken.getAttribute('aria-disabled')).toBe('true');
    await choose('[data-testid="blacklist-dialog"] .p-select', 'Echo');
    type(await element<HTMLTextAreaElement>('#blacklist-reason'), 'Loops on malformed input');
    await click('Blacklist workflow');
    await see('echo is blacklisted');
    expect(api.requestsTo('POST /api/platform/blacklist')[0]?.body).toEqual({
      workflowId: 'echo',
      reason: 'Loops on malformed input',
    });
    await see('Manual: Loops on malformed input');
  });

  it("shows the API's reason when it refuses", async () => {
    api.on('GET /api/platform/blacklist', { body: { entries: [], history: [] } });
    api.on('POST /api/platform/blacklist', {
      status: 409,
      body: {
        error: {
          code: 'ALREADY_BLACKLISTED',
          message: 'Workflow echo is already blacklisted',
          field: 'workflowId',
        },
      },
    });
    app = await mountApp(api, '/blacklist');
    await see('No workflows are currently blacklisted');
    await click('Blacklist a workflow');
    await choose('[data-testid="blacklist-dialog"] .p-select', 'Echo');
    type(await element<HTMLTextAreaElement>('#blacklist-reason'), 'x');
    await click('Blacklist workflow');
    await see('Workflow echo is already blacklisted.');
  });
});
