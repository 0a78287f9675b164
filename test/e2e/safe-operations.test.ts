/**
 * Safe operations in a real Chromium against the real local stack (`node
 * services/local/dist/main.js`): the dark theme in every view (following the system setting, and
 * a toggle that is remembered), the viewer token's read-only app with no action anywhere, and
 * the search box. The dark and viewer screenshots in docs/screenshots come from these steps: a normal run
 * writes them to test-results/, `WARDEN_UPDATE_SCREENSHOTS=1` writes them over the docs' copies.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../support/browser.js';
import type { Spawned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import {
  SCREENSHOTS,
  UI_TIMEOUT,
  screenshotIfFailed,
  startLocalPlatform,
  stopLocalPlatform,
  type LocalOutputs,
} from '../support/local-platform.js';

/** Every page of the app a signed-in person can open from the navigation. */
const VIEWS = [
  { link: 'Workers', heading: 'Workers', shot: 'workers' },
  { link: 'Executions', heading: 'Executions', shot: 'executions' },
  { link: 'Blacklist', heading: 'Blacklist', shot: 'blacklist' },
  { link: 'Stuck history', heading: 'Stuck history', shot: 'stuck-history' },
  { link: 'Circuit breaker', heading: 'Circuit breaker', shot: 'settings' },
  { link: 'Audit trail', heading: 'Audit trail', shot: 'audit' },
  { link: 'Workflows', heading: 'Workflows', shot: 'workflows' },
  { link: 'Dead letters', heading: 'Dead letters', shot: 'dead-letters' },
  { link: 'Rollout', heading: 'Rollout', shot: 'rollout' },
];
/**
 * The only buttons a viewer may see: they read, filter or leave. Any other button on a viewer's
 * page (one added later included) fails the test until it is hidden from viewers or listed here.
 */
const READ_ONLY_BUTTONS =
  /^(Refresh|Search|Apply|Load more|Clear filters|Sign out|Use the (light|dark) theme|Try again|\d+ (min|hour|hours|days)|Preview message .+)$/;
/** Labels of the buttons that change something; a viewer must see none of them. */
const ACTIONS =
  /^(Run a workflow|Blacklist a workflow|Blacklist…|Remove|Recycle|Stop worker…|Save|Discard changes|Pause .+|Resume .+|Redrive selected|Redrive all|Delete selected|Cancel execution|Rerun|Cancel matching|Rerun failed matching|Dismiss…)$/;

let home: string;
let stack: Spawned;
let outputs: LocalOutputs;
let browser: Browser;
let page: Page;
const executionIds: string[] = [];

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${outputs.ApiUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token ?? outputs.AdminToken}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  ({
    app: stack,
    home,
    outputs,
  } = await startLocalPlatform('e2e-safe', {
    WARDEN_WORKERS: '1',
    WARDEN_CORS_ORIGIN: undefined,
    WARDEN_VIEWER_TOKEN: undefined,
    USE_THREAD_WORKERS: 'true',
    WORKER_THREAD_POOL_SIZE: '2',
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'warn',
  }));
  // Generated for the run, printed, and written to outputs.json beside the admin token.
  expect(outputs.ViewerToken).toMatch(/^\S{16,}$/);
  expect(outputs.ViewerToken).not.toBe(outputs.AdminToken);
  expect(stack.output()).toContain(outputs.ViewerToken);

  // Something in every view: executions (one failing), a blacklist entry, a config change.
  await waitFor(
    'the worker to register its workflows',
    async () => (await api<{ workflows: unknown[] }>('GET', '/api/workflows')).workflows.length > 0,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  for (const [workflowId, input] of [
    ['echo', { hello: 'dark' }],
    ['echo', { hello: 'again' }],
    ['fail', {}],
  ] as const) {
    const { execution } = await api<{ execution: { executionId: string } }>(
      'POST',
      '/api/executions',
      { workflowId, input },
    );
    executionIds.push(execution.executionId);
  }
  await api('POST', '/api/platform/blacklist', { workflowId: 'cpu-spin', reason: 'spins' });
  await api('PUT', '/api/platform/config', { stuck_circuit_breaker_threshold: 4 });
  await api(
    'PUT',
    '/api/platform/config',
    { stuck_circuit_breaker_threshold: 5 },
    outputs.ViewerToken,
  ).catch(() => undefined);

  browser = await launchBrowser({ width: 1440, height: 900 });
  page = browser.page;
  page.setDefaultTimeout(UI_TIMEOUT);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stopLocalPlatform(stack && { app: stack, home });
});

afterEach(async (context) => {
  await screenshotIfFailed(page, context.task.result?.state, context.task.name, 'e2e-safe');
});

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
const theme = async () => page.locator('html').getAttribute('data-theme');

async function signIn(token: string): Promise<void> {
  await page.goto(`${outputs.AdminUrl}/login`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Workers', exact: true }).waitFor();
}

/** Waits for a view's heading and its content rather than its loading skeletons. */
async function open(view: (typeof VIEWS)[number]): Promise<void> {
  await nav(view.link).click();
  await page.getByRole('heading', { name: view.heading, exact: true }).first().waitFor();
  await waitFor(
    `${view.heading} to load`,
    async () => (await page.locator('[aria-busy="true"], .p-skeleton').count()) === 0,
    { timeoutMs: UI_TIMEOUT, intervalMs: 100 },
  );
}

describe('dark mode', () => {
  it('follows the system setting until the toggle is used', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${outputs.AdminUrl}/login`);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await theme()).toBe('dark');
    expect(await page.locator('html').getAttribute('class')).toContain('app-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await waitFor('the light theme', async () => (await theme()) === 'light', {
      timeoutMs: 5000,
      intervalMs: 50,
    });
  });

  it('shows every view in the dark theme the toggle chose, remembered across a reload', async () => {
    await signIn(outputs.AdminToken);
    expect(await theme()).toBe('light');
    await page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('dark');
    await page.reload();
    await page.getByRole('heading', { name: 'Workers', exact: true }).waitFor();
    expect(await theme()).toBe('dark');
    // The system going light does not override a choice.
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await theme()).toBe('dark');

    const body = page.locator('main');
    for (const view of VIEWS) {
      await open(view);
      // The page itself is dark, not just the sidebar.
      // (This file is typed without the DOM library; the function runs in the page.)
      const colour = await body.evaluate(
        (el) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }
          ).getComputedStyle(el).color,
      );
      expect(colour).toBe('rgb(226, 232, 240)');
      await page.screenshot({ path: join(SCREENSHOTS, `dark-${view.shot}.png`), fullPage: true });
    }
    await nav('Executions').click();
    await page.locator(`[data-execution-id="${executionIds[0]}"]`).getByRole('link').click();
    await page.getByRole('heading', { name: `Execution ${executionIds[0]}` }).waitFor();
    await page
      .getByTestId('execution-status')
      .and(page.locator('[data-state="SUCCESS"]'))
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'dark-execution.png'), fullPage: true });
  });
});

describe('search', () => {
  it('filters by an id prefix, and a whole id opens that execution', async () => {
    await nav('Executions').click();
    const first = executionIds[0]!;
    const search = page.getByTestId('execution-search');
    await search.fill(first.slice(0, 6));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('prefix-note').waitFor();
    const rows = page.locator('[data-role="execution-row"]');
    await waitFor(
      'only executions starting with the prefix',
      async () => {
        const ids = await rows.evaluateAll((els) =>
          els.map((el) => el.getAttribute('data-execution-id')),
        );
        return ids.length > 0 && ids.every((id) => id?.startsWith(first.slice(0, 6)))
          ? ids
          : undefined;
      },
      { timeoutMs: UI_TIMEOUT, intervalMs: 100 },
    );
    await search.fill(first);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: `Execution ${first}` }).waitFor();
  });
});

describe('the viewer token', () => {
  it('shows every view with no action button and a read-only note saying why', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(outputs.ViewerToken);
    // The dark choice outlived signing out; toggling back is remembered too.
    expect(await theme()).toBe('dark');
    await page.getByTestId('theme-toggle').click();
    expect(await theme()).toBe('light');
    const note = page.getByTestId('read-only-badge');
    await note.waitFor();
    expect(await note.innerText()).toMatch(/Read-only.*viewer role: actions need the admin role/s);
    for (const view of VIEWS) {
      await open(view);
      expect(await page.locator('[data-action]').count(), view.heading).toBe(0);
      expect(await page.getByRole('button', { name: ACTIONS }).count(), view.heading).toBe(0);
      const names = await Promise.all(
        (await page.getByRole('button').all()).map(async (b) =>
          ((await b.getAttribute('aria-label')) ?? (await b.innerText())).trim(),
        ),
      );
      expect(
        names.filter((name) => !READ_ONLY_BUTTONS.test(name)),
        `${view.heading}: buttons a viewer should not have`,
      ).toEqual([]);
    }
    await open(VIEWS[2]!);
    await page.screenshot({ path: join(SCREENSHOTS, 'viewer-blacklist.png'), fullPage: true });
    // The settings can be read but not edited.
    await open(VIEWS[4]!);
    expect(await page.locator('#threshold').isDisabled()).toBe(true);
    // The audit trail shows what the admin did and what the viewer was refused.
    await open(VIEWS[5]!);
    await page
      .locator(
        '[data-role="audit-row"][data-audit-action="blacklist.create"][data-outcome="success"]',
      )
      .waitFor();
    await page
      .locator('[data-role="audit-row"][data-audit-action="config.update"][data-outcome="denied"]')
      .waitFor();
    expect(browser.pageErrors, browser.pageErrors.join('\n')).toEqual([]);
  });
});
