/**
 * The admin app in a real Chromium against the real local stack, started as a user starts it
 * (`node services/local/dist/main.js`): a real worker in thread mode, the real API, WebSocket
 * gateway and circuit breaker. Each step is something a platform admin does, checked by what
 * the page shows. The steps share one stack and run in order. The Workers and Blacklist
 * screenshots in docs/screenshots come from these steps.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../support/browser.js';
import { freePort, type Spawned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import {
  SCREENSHOTS,
  UI_TIMEOUT,
  screenshotIfFailed,
  startLocalPlatform,
  stopLocalPlatform,
  type LocalOutputs,
} from '../support/local-platform.js';

let home: string;
let stack: Spawned;
let outputs: LocalOutputs;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const port = await freePort();
  ({
    app: stack,
    home,
    outputs,
  } = await startLocalPlatform('e2e', {
    WARDEN_WORKERS: '1',
    WARDEN_ADMIN_PORT: String(port),
    WARDEN_CORS_ORIGIN: undefined,
    USE_THREAD_WORKERS: 'true',
    WORKER_THREAD_POOL_SIZE: '4',
    CANCEL_GRACE_SECONDS: '1',
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '1',
    CIRCUIT_BREAKER_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'warn',
  }));
  expect(outputs.AdminUrl).toBe(`http://127.0.0.1:${port}`);
  browser = await launchBrowser({ width: 1440, height: 900 });
  page = browser.page;
  page.setDefaultTimeout(UI_TIMEOUT);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stopLocalPlatform(stack && { app: stack, home });
});

// A failed step leaves a picture of the page behind for whoever reads the failure.
afterEach(async (context) => {
  await screenshotIfFailed(page, context.task.result?.state, context.task.name, 'e2e');
});

// Helpers: what an admin does with the mouse and keyboard ------------------------------------

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

/**
 * Waits until no element matches (an enter transition has finished), polling from the test:
 * the app's CSP forbids the string evaluation `page.waitForFunction` would need in the page.
 */
const settled = (selector: string) =>
  waitFor(`${selector} to finish`, async () => (await page.locator(selector).count()) === 0, {
    timeoutMs: 10_000,
    intervalMs: 50,
  });

/**
 * Opens a dialog. On a loaded machine a click can land while a page is still mounting and do
 * nothing; a person would click again, and so does this (three tries).
 */
async function openDialog(trigger: Locator, name: string): Promise<Locator> {
  const dialog = page.getByRole('dialog', { name });
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    await trigger.click();
    const opened = await dialog.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (opened) return dialog;
  }
  throw new Error(`the "${name}" dialog did not open after three clicks`);
}

async function runWorkflow(
  option: string,
  input: string,
  timeoutSeconds?: number,
): Promise<string> {
  const dialog = await openDialog(page.getByTestId('open-submit-dialog'), 'Run a workflow');
  await dialog.locator('#submit-workflow').click();
  await page.getByRole('option', { name: option, exact: true }).click();
  await dialog.getByLabel('Input (JSON)').fill(input);
  if (timeoutSeconds !== undefined) {
    await dialog.locator('#submit-timeout').pressSequentially(String(timeoutSeconds));
  }
  await dialog.getByRole('button', { name: 'Run', exact: true }).click();
  // The toast names the new execution; close it so the next submission's toast is the only one.
  const toast = page.locator('.p-toast-message').filter({ hasText: 'queued' });
  const text = await toast.innerText();
  const id = /Execution (\S+)/.exec(text)?.[1];
  if (!id) throw new Error(`no execution id in the toast: ${text}`);
  await toast.getByRole('button', { name: /close/i }).click();
  await toast.waitFor({ state: 'detached' });
  return id;
}

const processCard = (
  filter: { pid?: number; generation?: number; state?: string } = {},
): Locator => {
  let selector = '[data-role="process"]';
  if (filter.pid !== undefined) selector += `[data-pid="${filter.pid}"]`;
  if (filter.generation !== undefined) selector += `[data-generation="${filter.generation}"]`;
  if (filter.state) selector += `[data-state="${filter.state}"]`;
  return page.locator(selector);
};

async function activeProcess(): Promise<{ pid: number; generation: number }> {
  const card = processCard({ state: 'ACTIVE' }).first();
  await card.waitFor();
  return {
    pid: Number(await card.getAttribute('data-pid')),
    generation: Number(await card.getAttribute('data-generation')),
  };
}

/** Waits until an ACTIVE process newer than `generation` is on the page. */
async function newerActiveProcess(
  generation: number,
): Promise<{ pid: number; generation: number }> {
  return waitFor(
    `an ACTIVE process newer than generation ${generation}`,
    async () => {
      for (const card of await processCard({ state: 'ACTIVE' }).all()) {
        const found = Number(await card.getAttribute('data-generation'));
        if (found > generation)
          return { pid: Number(await card.getAttribute('data-pid')), generation: found };
      }
      return undefined;
    },
    { timeoutMs: UI_TIMEOUT, intervalMs: 100 },
  );
}

async function setNumber(locator: Locator, value: number): Promise<void> {
  await locator.click();
  await locator.press('ControlOrMeta+a');
  await locator.pressSequentially(String(value));
  await locator.press('Tab');
}

// The admin's day ----------------------------------------------------------------------------

describe('the admin app against the local stack', () => {
  it('sends a visitor without a token to the sign-in page, then signs in with the admin token', async () => {
    await page.goto(`${outputs.AdminUrl}/workers`);
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.title()).toBe('Sign in · Warden Admin');

    await page.getByLabel('Admin token').fill('not-the-token-not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted').waitFor();

    await page.getByLabel('Admin token').fill(outputs.AdminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Workers', exact: true }).waitFor();
    await page.locator('[data-role="worker"][data-worker-id="local-1"]').waitFor();
    await page.getByTestId('connection-state').and(page.locator('[data-state="live"]')).waitFor();
    await processCard({ state: 'ACTIVE' }).first().waitFor();
  });

  it('runs echo and shows it appear and complete', async () => {
    await nav('Executions').click();
    await page.getByRole('heading', { name: 'Executions', exact: true }).waitFor();
    const id = await runWorkflow('Echo (echo)', '{"hello":"warden"}');
    const row = page.locator(`[data-role="execution-row"][data-execution-id="${id}"]`);
    await row.waitFor();
    await page.locator(`[data-execution-id="${id}"][data-status="SUCCESS"]`).waitFor();

    await row.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Execution ${id}` }).waitFor();
    expect(await page.getByTestId('execution-output').innerText()).toContain('"hello": "warden"');
    await page
      .getByTestId('execution-status')
      .and(page.locator('[data-state="SUCCESS"]'))
      .waitFor();
  });

  it('shows cpu-spin turn STUCK, its process drain, and a new process take over', async () => {
    await nav('Workers').click();
    const before = await activeProcess();
    // A healthy execution in the same process keeps it DRAINING long enough to watch.
    const healthy = await runWorkflow('Slow but healthy (slow-healthy)', '{"ms":15000}');
    await page.locator(`[data-role="running-execution"][data-execution-id="${healthy}"]`).waitFor();
    const spin = await runWorkflow('CPU spin (cpu-spin)', '{}', 2);

    const stuck = page.locator(
      `[data-role="running-execution"][data-execution-id="${spin}"][data-state="STUCK"]`,
    );
    await stuck.locator('.badge-pulse').waitFor();
    const draining = processCard({
      pid: before.pid,
      generation: before.generation,
      state: 'DRAINING',
    });
    await draining.waitFor();
    await draining.getByText('Waiting for 1 healthy execution to finish').waitFor();
    const replacement = await newerActiveProcess(before.generation);
    expect(replacement.pid).not.toBe(before.pid);

    // New work goes to the new process while the old one drains.
    const sleeping = await runWorkflow('Sleep (sleep)', '{"ms":15000}');
    await processCard({ pid: replacement.pid })
      .locator(`[data-role="running-execution"][data-execution-id="${sleeping}"]`)
      .waitFor();
    await page.locator('[data-testid="memory-chart"] canvas').waitFor();
    await settled('.fade-enter-active, .swap-enter-active');
    await page.screenshot({ path: join(SCREENSHOTS, 'workers.png'), fullPage: true });

    // The stuck execution links to its record, which says why it failed.
    await stuck.getByRole('link').click();
    await page.getByRole('heading', { name: `Execution ${spin}` }).waitFor();
    await page.getByTestId('execution-error').getByText('ExecutionStuck').waitFor();
    await nav('Workers').click();
    // Once its healthy execution finished, the drained process exits.
    await processCard({ pid: before.pid, generation: before.generation }).waitFor({
      state: 'detached',
      timeout: 60_000,
    });
  });

  it('recycles a process through the confirm dialog', async () => {
    await nav('Workers').click();
    const before = await activeProcess();
    await page.getByRole('button', { name: `Recycle process ${before.pid}` }).click();
    const dialog = page
      .getByRole('alertdialog')
      .or(page.getByRole('dialog'))
      .filter({ hasText: `Recycle process ${before.pid}?` });
    await dialog.getByText('Nothing healthy is ever killed.').waitFor();
    await dialog.getByRole('button', { name: 'Recycle process' }).click();
    await page
      .locator('.p-toast-message')
      .filter({ hasText: `Process ${before.pid} is recycling` })
      .waitFor();
    const after = await newerActiveProcess(before.generation);
    expect(after.generation).toBeGreaterThan(before.generation);
  });

  it('blacklists workflows by hand, refuses them, and keeps a history of removals', async () => {
    await nav('Blacklist').click();
    await page.getByRole('heading', { name: 'Blacklist', exact: true }).waitFor();

    for (const [option, reason] of [
      ['Memory hog (memory-hog)', 'Grows past the heap limit in staging'],
      ['Always fails (fail)', 'Upstream contract changed; fix in progress'],
    ] as const) {
      const dialog = await openDialog(
        page.getByRole('button', { name: 'Blacklist a workflow' }),
        'Blacklist a workflow',
      );
      await dialog.getByRole('button', { name: 'Blacklist workflow' }).click();
      await dialog.getByText('Say why').waitFor();
      await dialog.locator('#blacklist-workflow').click();
      await page.getByRole('option', { name: option, exact: true }).click();
      await dialog.getByLabel('Reason').fill(reason);
      await dialog.getByRole('button', { name: 'Blacklist workflow' }).click();
      await page
        .locator('[data-role="blacklist-row"]')
        .filter({ hasText: `Manual: ${reason}` })
        .waitFor();
    }

    // A blacklisted workflow is refused at submission, with the reason on screen.
    await nav('Executions').click();
    const run = await openDialog(page.getByTestId('open-submit-dialog'), 'Run a workflow');
    await run.locator('#submit-workflow').click();
    await page
      .getByRole('option', { name: 'Always fails (fail) — blacklisted', exact: true })
      .click();
    await run.getByRole('button', { name: 'Run', exact: true }).click();
    await run
      .getByRole('alert')
      .filter({ hasText: 'Workflow fail is blacklisted' })
      .filter({ hasText: 'nothing was queued' })
      .waitFor();
    await run.getByRole('button', { name: 'Cancel' }).click();

    await nav('Blacklist').click();
    await page.getByRole('button', { name: 'Remove memory-hog from the blacklist' }).click();
    await page.getByRole('button', { name: 'Remove from blacklist' }).click();
    await page
      .locator('.p-toast-message')
      .filter({ hasText: 'memory-hog removed from the blacklist' })
      .waitFor();
    await page
      .getByTestId('blacklist-history')
      .locator('[data-workflow-id="memory-hog"]')
      .waitFor();
  });

  it('blacklists a workflow that crosses the circuit breaker threshold, and removes it', async () => {
    await nav('Circuit breaker').click();
    const threshold = page.getByLabel('Threshold (stuck executions)');
    await setNumber(threshold, 2);
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .locator('.p-toast-message')
      .filter({ hasText: 'Circuit breaker settings saved' })
      .waitFor();

    // Two executions that ignore cancellation: both get stuck, and the next sweep trips.
    await nav('Workers').click();
    await runWorkflow('Ignores cancellation (ignore-cancel)', '{}', 1);
    await runWorkflow('Ignores cancellation (ignore-cancel)', '{}', 1);

    await nav('Stuck history').click();
    await page
      .locator('[data-testid="stuck-table"] [data-workflow-id="ignore-cancel"]')
      .getByText('2 times')
      .waitFor();

    await nav('Blacklist').click();
    const row = page.locator('[data-role="blacklist-row"][data-workflow-id="ignore-cancel"]');
    await row.getByText('2× stuck').waitFor();
    await row.getByText('Circuit breaker').waitFor();
    await settled('.fade-enter-active');
    await page.screenshot({ path: join(SCREENSHOTS, 'blacklist.png'), fullPage: true });

    await page.getByRole('button', { name: 'Remove ignore-cancel from the blacklist' }).click();
    await page.getByText('its stuck counter starts from zero').waitFor();
    await page.getByRole('button', { name: 'Remove from blacklist' }).click();
    await row.waitFor({ state: 'detached' });
    await page
      .getByTestId('blacklist-history')
      .locator('[data-workflow-id="ignore-cancel"]')
      .waitFor();
    // The refused token and the refused submission show as failed requests; nothing else failed.
    expect(browser.pageErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  });
});
