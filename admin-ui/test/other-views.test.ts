import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionRecord, StuckHistoryResponse } from '@warden/core';
import { FakeApi } from './support/fake-api';
import { iso, queueResponse, workersResponse } from './support/fixtures';
import {
  choose,
  click,
  element,
  live,
  mountApp,
  page,
  see,
  type,
  type MountedApp,
} from './support/mount-app';

let api: FakeApi;
let app: MountedApp | undefined;

beforeEach(async () => {
  api = await new FakeApi().start();
  api.on('GET /api/workflows', {
    body: {
      workflows: [
        { id: 'cpu-spin', name: 'CPU spin', timeoutSeconds: 5, workers: 1, blacklisted: false },
        { id: 'echo', name: 'Echo', timeoutSeconds: 30, workers: 1, blacklisted: false },
      ],
    },
  });
  api.on('GET /api/platform/workers', { body: workersResponse() });
  api.on('GET /api/platform/queue', { body: queueResponse() });
  api.on('GET /api/platform/blacklist', { body: { entries: [], history: [] } });
  api.on('GET /api/platform/config', {
    body: { stuck_circuit_breaker_threshold: 5, stuck_circuit_breaker_window_minutes: 60 },
  });
});

afterEach(async () => {
  await app?.unmount();
  app = undefined;
  await api.stop();
});

describe('the Stuck history view', () => {
  const history = (hours: number): StuckHistoryResponse => ({
    hours,
    since: iso(hours * 3600_000),
    total: 7,
    workflows: [
      {
        workflowId: 'cpu-spin',
        workflowName: 'CPU spin',
        count: 6,
        lastStuckAt: iso(30_000),
        blacklisted: false,
      },
      {
        workflowId: 'echo',
        workflowName: 'Echo',
        count: 1,
        lastStuckAt: iso(7_200_000),
        blacklisted: false,
      },
    ],
    records: [],
  });

  it('lists stuck counts per workflow over the chosen window, with the breaker threshold', async () => {
    api.on('GET /api/platform/stuck-history', (request) => ({
      body: history(Number(request.query.get('hours'))),
    }));
    app = await mountApp(api, '/stuck-history');
    await see('6 times');
    expect(page()).toContain('Stuck executions in the last 24 hours');
    expect(page()).toMatch(/blacklists a workflow stuck\s*5\s*times within\s*60 minutes/);
    expect(api.requestsTo('GET /api/platform/stuck-history')[0]?.query.get('hours')).toBe('24');

    const oneHour = [
      ...document.querySelectorAll<HTMLElement>(
        '[data-testid="stuck-window"] [role="radio"], [data-testid="stuck-window"] button',
      ),
    ].find((b) => b.textContent?.trim() === '1 hour');
    oneHour!.click();
    await see('Stuck executions in the last 1 hour');
    await vi.waitFor(() =>
      expect(api.requestsTo('GET /api/platform/stuck-history').at(-1)?.query.get('hours')).toBe(
        '1',
      ),
    );
  });

  it('lists each stuck execution with where its thread was stuck and the executions sharing it', async () => {
    api.on('GET /api/platform/stuck-history', (request) => ({
      body: {
        ...history(Number(request.query.get('hours'))),
        records: [
          {
            workflowId: 'cpu-spin',
            stuckKey: `${iso(30_000)}#ex-spin`,
            executionId: 'ex-spin',
            stuckAt: iso(30_000),
            workerId: 'worker-a',
            pid: 4101,
            threadId: 1,
            elapsedMs: 3012,
            stack: ['run (file:///app/workflows/cpu-spin.mjs:8:5)', 'run (runner.js:1:1)'],
            collateral: [
              { executionId: 'ex-n1', workflowId: 'slow-healthy' },
              { executionId: 'ex-n2', workflowId: 'slow-healthy' },
            ],
          },
        ],
      },
    }));
    app = await mountApp(api, '/stuck-history');
    await see('Each stuck execution');
    const row = await element('[data-execution-id="ex-spin"]');
    expect(row.querySelector('[data-testid="stuck-frame"]')?.textContent).toContain(
      'cpu-spin.mjs:8:5',
    );
    const collateral = row.querySelector('[data-testid="stuck-collateral"]')?.textContent ?? '';
    expect(collateral).toContain('ex-n1');
    expect(collateral).toContain('ex-n2');
    expect(collateral).toContain('slow-healthy');
  });

  it('offers a shortcut to blacklist, pre-filled with the workflow and why', async () => {
    api.on('GET /api/platform/stuck-history', { body: history(24) });
    api.on('POST /api/platform/blacklist', (request) => ({
      status: 201,
      body: {
        entry: {
          workflowId: 'cpu-spin',
          reason: `manual:${(request.body as { reason: string }).reason}`,
          blacklistedAt: iso(0),
          blacklistedBy: 'admin',
        },
      },
    }));
    app = await mountApp(api, '/stuck-history');
    await click('Blacklist cpu-spin');
    const reason = await element<HTMLTextAreaElement>('#blacklist-reason');
    await vi.waitFor(() => expect(reason.value).toBe('Stuck 6 times in the last 24 hours'));
    await click('Blacklist workflow');
    await see('cpu-spin is blacklisted');
    expect(api.requestsTo('POST /api/platform/blacklist')[0]?.body).toEqual({
      workflowId: 'cpu-spin',
      reason: 'Stuck 6 times in the last 24 hours',
    });
    // The row now says so instead of offering the shortcut again.
    await vi.waitFor(() =>
      expect(document.querySelector('[data-workflow-id="cpu-spin"]')?.textContent).toContain(
        'Blacklisted',
      ),
    );
  });

  it('refreshes when an execution gets stuck', async () => {
    let total = 0;
    api.on('GET /api/platform/stuck-history', () => ({
      body: total === 0 ? { ...history(24), total: 0, workflows: [] } : history(24),
    }));
    app = await mountApp(api, '/stuck-history');
    await see('Nothing got stuck in the last 24 hours');
    await live();
    total = 7;
    api.push({
      type: 'execution_stuck',
      executionId: 'e',
      workflowId: 'cpu-spin',
      workerId: 'worker-a',
      pid: 1,
      generation: 1,
      elapsedMs: 3000,
    });
    await see('6 times');
  });

  it('shows the calm empty state', async () => {
    api.on('GET /api/platform/stuck-history', {
      body: { ...history(24), total: 0, workflows: [] },
    });
    app = await mountApp(api, '/stuck-history');
    await see('Nothing got stuck in the last 24 hours');
  });
});

describe('the circuit breaker settings', () => {
  it('validates before saving, saves, and shows field errors from the API', async () => {
    let saved = { stuck_circuit_breaker_threshold: 5, stuck_circuit_breaker_window_minutes: 60 };
    api.on('PUT /api/platform/config', (request) => {
      const body = request.body as typeof saved;
      if (body.stuck_circuit_breaker_window_minutes === 999) {
        return {
          status: 400,
          body: {
            error: {
              code: 'VALIDATION_FAILED',
              message: 'stuck_circuit_breaker_window_minutes: rejected by policy',
              field: 'stuck_circuit_breaker_window_minutes',
            },
          },
        };
      }
      saved = body;
      return { body: { ...body, updatedAt: iso(0), updatedBy: 'admin' } };
    });
    app = await mountApp(api, '/settings');
    const threshold = await element<HTMLInputElement>('#threshold');
    await see('nobody has changed them yet');
    expect(threshold.value).toBe('5');

    type(threshold, '0');
    await see('The threshold must be from 1 to 1000.');
    expect((document.querySelector('button[type="submit"]') as HTMLButtonElement).disabled).toBe(
      true,
    );

    type(threshold, '3');
    await vi.waitFor(() => expect(page()).not.toContain('The threshold must be'));
    await click('Save');
    await see('Circuit breaker settings saved');
    expect(saved).toEqual({
      stuck_circuit_breaker_threshold: 3,
      stuck_circuit_breaker_window_minutes: 60,
    });
    await see('by admin');

    type(await element<HTMLInputElement>('#window'), '999');
    await vi.waitFor(() =>
      expect((document.querySelector('button[type="submit"]') as HTMLButtonElement).disabled).toBe(
        false,
      ),
    );
    await click('Save');
    await see('rejected by policy.');
  });

  it('says when the settings cannot be read', async () => {
    api.on('GET /api/platform/config', {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'boom' } },
    });
    app = await mountApp(api, '/settings');
    await see('The settings could not be loaded');
  });
});

describe('the Executions views', () => {
  const record = (overrides: Partial<ExecutionRecord>): ExecutionRecord => ({
    executionId: 'ex-1',
    workflowId: 'echo',
    status: 'SUCCESS',
    queuedAt: iso(60_000),
    startedAt: iso(59_000),
    finishedAt: iso(58_900),
    queueTimeMs: 1000,
    durationMs: 100,
    ...overrides,
  });

  it('lists executions, filters by status, and updates a row live', async () => {
    api.on('GET /api/executions', (request) => ({
      body: {
        items:
          request.query.get('status') === 'FAILED'
            ? []
            : [
                record({
                  executionId: 'ex-run',
                  status: 'RUNNING',
                  finishedAt: undefined,
                  durationMs: undefined,
                }),
                record({}),
              ],
      },
    }));
    app = await mountApp(api, '/executions');
    await element('[data-role="execution-row"][data-execution-id="ex-run"][data-status="RUNNING"]');
    await live();
    api.push({
      type: 'execution_finished',
      executionId: 'ex-run',
      workflowId: 'echo',
      workerId: 'worker-a',
      status: 'FAILED',
      errorType: 'ExecutionStuck',
    });
    await element('[data-execution-id="ex-run"][data-status="FAILED"]');
    expect(page()).toContain('ExecutionStuck');

    api.push({
      type: 'queue_changed',
      change: 'queued',
      executionId: 'ex-new',
      workflowId: 'echo',
    });
    await element('[data-execution-id="ex-new"][data-status="QUEUED"]');

    await choose('#filter-status', 'FAILED');
    await see('No executions match these filters');
    expect(api.requestsTo('GET /api/executions').at(-1)?.query.get('status')).toBe('FAILED');
    expect(app.router.currentRoute.value.query.status).toBe('FAILED');
  });

  it('runs a workflow from the dialog', async () => {
    api.on('GET /api/executions', { body: { items: [] } });
    api.on('POST /api/executions', (request) => ({
      status: 202,
      body: {
        execution: record({
          ...(request.body as object),
          executionId: 'ex-sub',
          status: 'QUEUED',
          startedAt: undefined,
        }),
      },
    }));
    app = await mountApp(api, '/executions');
    await see('No executions yet');
    await click('Run a workflow');
    await choose('[data-testid="submit-dialog"] .p-select', 'Echo');
    const input = await element<HTMLTextAreaElement>('#submit-input');
    type(input, '{ not json');
    await see('Input is not valid JSON');
    type(input, '{"hello":"world"}');
    await click('Run');
    await see('echo queued');
    expect(api.requestsTo('POST /api/executions')[0]?.body).toEqual({
      workflowId: 'echo',
      input: { hello: 'world' },
    });
    await element('[data-execution-id="ex-sub"]');
  });

  it('opens an execution by id and shows timings, the error, output and log lines', async () => {
    api.on('GET /api/executions', (request) => ({
      body: {
        items:
          request.query.get('q') === 'ex-stuck'
            ? [record({ executionId: 'ex-stuck', workflowId: 'cpu-spin', status: 'FAILED' })]
            : [],
      },
    }));
    api.on('GET /api/executions/ex-stuck', {
      body: {
        execution: record({
          executionId: 'ex-stuck',
          workflowId: 'cpu-spin',
          status: 'FAILED',
          errorType: 'ExecutionStuck',
          errorMessage:
            'did not respond to cancellation within the 1 s grace period (3.0 s elapsed)',
          durationMs: 3012,
          workerId: 'worker-a',
          pid: 4101,
          threadId: 2,
          generation: 1,
          attempt: 1,
          output: { partial: true },
          logs: ['spinning', 'still spinning'],
        }),
      },
    });
    app = await mountApp(api, '/executions');
    type(await element<HTMLInputElement>('#execution-search'), 'ex-stuck');
    await click('Search');
    await see('Execution ex-stuck');
    await see('ExecutionStuck: did not respond to cancellation within the 1 s grace period');
    expect(page()).toContain('3.01 s');
    expect(page()).toContain('CPU spin');
    expect((await element('[data-testid="execution-output"]')).textContent).toContain(
      '"partial": true',
    );
    expect((await element('[data-testid="execution-logs"]')).textContent).toContain(
      'still spinning',
    );
  });

  it('filters by an id prefix, error type and worker when no execution has the whole id', async () => {
    api.on('GET /api/executions', (request) => ({
      body: {
        items:
          request.query.get('q') === 'ex-' && !request.query.get('workerId')
            ? [record({ executionId: 'ex-1' }), record({ executionId: 'ex-2' })]
            : [],
      },
    }));
    app = await mountApp(api, '/executions');
    type(await element<HTMLInputElement>('#execution-search'), 'ex-');
    await click('Search');
    await see('Ids starting with ex-');
    await see('ex-2');
    const last = api.requestsTo('GET /api/executions').at(-1)!;
    expect(last.query.get('q')).toBe('ex-');
    type(await element<HTMLInputElement>('#filter-worker'), 'worker-a');
    (await element<HTMLInputElement>('#filter-worker')).dispatchEvent(new Event('blur'));
    await see('No executions match these filters');
    const withWorker = api.requestsTo('GET /api/executions').at(-1)!;
    expect(withWorker.query.get('workerId')).toBe('worker-a');
    expect(withWorker.query.get('q')).toBe('ex-');
  });

  it("shows where a blocked thread was stuck, its collateral, and a collateral failure's culprit", async () => {
    api.on('GET /api/executions', { body: { items: [] } });
    api.on('GET /api/executions/ex-spin', {
      body: {
        execution: record({
          executionId: 'ex-spin',
          workflowId: 'cpu-spin',
          status: 'FAILED',
          errorType: 'ExecutionStuck',
          errorMessage: 'did not respond to cancellation within the 1 s grace period',
          stack: ['run (file:///app/workflows/cpu-spin.mjs:8:5)'],
          collateral: [{ executionId: 'ex-n1', workflowId: 'echo' }],
        }),
      },
    });
    api.on('GET /api/executions/ex-n1', {
      body: {
        execution: record({
          executionId: 'ex-n1',
          workflowId: 'echo',
          status: 'FAILED',
          errorType: 'CollateralFailure',
          errorMessage: 'thread 1 was blocked by execution ex-spin (cpu-spin), which shared it',
          attempt: 3,
          culprit: { executionId: 'ex-spin', workflowId: 'cpu-spin' },
        }),
      },
    });
    app = await mountApp(api, '/executions/ex-spin');
    await see('Its thread');
    expect((await element('[data-testid="execution-stack"]')).textContent).toContain(
      'cpu-spin.mjs:8:5',
    );
    expect((await element('[data-testid="execution-collateral"]')).textContent).toContain('ex-n1');

    (await element<HTMLAnchorElement>('[data-testid="execution-collateral"] a')).click();
    await see('Execution ex-n1');
    expect((await element('[data-testid="execution-culprit"]')).textContent).toMatch(
      /ex-spin\s*\(\s*cpu-spin\s*\) blocked or overflowed the thread/,
    );
  });

  it('says when no execution has that id', async () => {
    api.on('GET /api/executions/nope', {
      status: 404,
      body: {
        error: {
          code: 'EXECUTION_NOT_FOUND',
          message: 'No execution nope (records are kept 30 days)',
        },
      },
    });
    app = await mountApp(api, '/executions/nope');
    await see('No execution has the id nope');
  });
});

describe('signing in', () => {
  it('sends a visitor without a token to the sign-in page, and back once signed in', async () => {
    app = await mountApp(api, '/blacklist', { signedIn: false });
    await element('[data-testid="login-page"]');
    expect(app.router.currentRoute.value.fullPath).toBe('/login?redirect=/blacklist');
    expect(document.title).toBe('Sign in · Warden Admin');

    type(await element<HTMLInputElement>('#admin-token'), 'wrong-token-wrong-token');
    await click('Sign in');
    await see('That token was not accepted');
    // A token is only used once the API has accepted it: no live connection was tried with it.
    expect(api.upgrades).toEqual([]);

    type(await element<HTMLInputElement>('#admin-token'), 'test-admin-token-0123456789');
    await click('Sign in');
    await see('No workflows are currently blacklisted');
    expect(app.router.currentRoute.value.path).toBe('/blacklist');
    expect(sessionStorage.getItem('warden.session')).toContain('test-admin-token-0123456789');
    await live();
  });

  it('signs out: the session is forgotten and the live connection closed', async () => {
    api.on('GET /api/executions', { body: { items: [] } });
    app = await mountApp(api, '/executions');
    await live();
    await vi.waitFor(() => expect(api.sockets.size).toBe(1));
    await click('Sign out');
    await element('[data-testid="login-page"]');
    expect(sessionStorage.getItem('warden.session')).toBeNull();
    await vi.waitFor(() => expect(api.sockets.size).toBe(0));
  });

  it('returns to the sign-in page when the API stops accepting the token', async () => {
    api.on('GET /api/executions', {
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'The token has expired' } },
    });
    app = await mountApp(api, '/executions');
    await element('[data-testid="login-page"]');
    await see('Your session has ended');
    expect(sessionStorage.getItem('warden.session')).toBeNull();
  });
});

describe('loading states', () => {
  it('every page shows that it is loading while its data is on its way', async () => {
    const slow = { delayMs: 300 };
    api.on('GET /api/platform/blacklist', { body: { entries: [], history: [] }, ...slow });
    api.on('GET /api/platform/stuck-history', {
      body: { hours: 24, since: iso(0), total: 0, workflows: [], records: [] },
      ...slow,
    });
    api.on('GET /api/platform/config', {
      body: { stuck_circuit_breaker_threshold: 5, stuck_circuit_breaker_window_minutes: 60 },
      ...slow,
    });
    api.on('GET /api/executions', { body: { items: [] }, ...slow });
    api.on('GET /api/executions/ex-1', {
      body: {
        execution: { executionId: 'ex-1', workflowId: 'echo', status: 'QUEUED', queuedAt: iso(0) },
      },
      ...slow,
    });
    for (const [path, busy, done] of [
      ['/blacklist', 'blacklist-loading', 'No workflows are currently blacklisted'],
      ['/stuck-history', 'stuck-loading', 'Nothing got stuck in the last 24 hours'],
      ['/settings', 'settings-loading', 'Threshold (stuck executions)'],
      ['/executions', 'executions-loading', 'No executions yet'],
      ['/executions/ex-1', 'execution-loading', 'Timings'],
    ]) {
      app = await mountApp(api, path!);
      const indicator = await element(`[data-testid="${busy}"]`);
      expect(indicator.getAttribute('aria-busy')).toBe('true');
      expect(indicator.querySelector('[role="status"]')?.textContent).toMatch(/^Loading/);
      await see(done!);
      expect(document.querySelector(`[data-testid="${busy}"]`)).toBeNull();
      await app.unmount();
      app = undefined;
    }
  });
});
