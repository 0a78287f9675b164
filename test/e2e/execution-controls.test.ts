/**
 * The operator controls in a real Chromium against the real local stack (`npm start`'s entry
 * point, one worker in thread mode): pausing and resuming a workflow from the Workflows page
 * with the queue panel showing what waits, cancelling a running execution from its page, and the
 * Dead letters page's select, preview, redrive and delete.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ExecutionRecord, ExecutionResponse } from '@warden/core';
import { launchBrowser, type Browser } from '../support/browser.js';
import type { Spawned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import {
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
let sqs: SQSClient;

beforeAll(async () => {
  ({
    app: stack,
    home,
    outputs,
  } = await startLocalPlatform('e2e-controls', {
    WARDEN_WORKERS: '1',
    WARDEN_CORS_ORIGIN: undefined,
    USE_THREAD_WORKERS: 'true',
    WORKER_THREAD_POOL_SIZE: '2',
    CANCEL_GRACE_SECONDS: '2',
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '1',
    WORKER_PAUSE_RECHECK_SECONDS: '1',
    BLACKLIST_CACHE_SECONDS: '1',
    // Once the stack is stopped its emulators are gone: the worker's last writes cannot succeed,
    // so it should not retry them for the default 100 s.
    WORKER_SHUTDOWN_DEADLINE_SECONDS: '5',
    LOG_LEVEL: 'warn',
  }));
  sqs = new SQSClient({
    region: outputs.Region,
    endpoint: outputs.AwsEndpoints.sqs,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  browser = await launchBrowser({ width: 1440, height: 900 });
  page = browser.page;
  page.setDefaultTimeout(UI_TIMEOUT);
});

afterAll(async () => {
  sqs?.destroy();
  await browser?.close();
  await stopLocalPlatform(stack && { app: stack, home });
});

// A failed step leaves a picture of the page behind for whoever reads the failure.
afterEach(async (context) => {
  await screenshotIfFailed(page, context.task.result?.state, context.task.name, 'e2e-controls');
});

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

/** What an upstream service does: submit over HTTP with the token. */
async function submit(workflowId: string, input?: unknown): Promise<string> {
  const response = await fetch(`${outputs.ApiUrl}/api/executions`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${outputs.AdminToken}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ workflowId, input }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as ExecutionResponse).execution.executionId;
}

async function execution(executionId: string): Promise<ExecutionRecord> {
  const response = await fetch(`${outputs.ApiUrl}/api/executions/${executionId}`, {
    headers: { Authorization: `Bearer ${outputs.AdminToken}` },
  });
  return ((await response.json()) as ExecutionResponse).execution;
}

const finished = (executionId: string) =>
  waitFor(
    `execution ${executionId} to finish`,
    async () => {
      const record = await execution(executionId);
      return ['SUCCESS', 'FAILED', 'CANCELLED'].includes(record.status) ? record : undefined;
    },
    { timeoutMs: UI_TIMEOUT, intervalMs: 200 },
  );

const confirmDialog = (title: string) =>
  page.getByRole('alertdialog').or(page.getByRole('dialog')).filter({ hasText: title });

describe('operator controls in the admin app', () => {
  it('signs in with the admin token', async () => {
    await page.goto(`${outputs.AdminUrl}/login`);
    await page.getByLabel('Admin token').fill(outputs.AdminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Workers', exact: true }).waitFor();
    await page.getByTestId('connection-state').and(page.locator('[data-state="live"]')).waitFor();
  });

  it('pauses a workflow: what waits shows in the queue panel, and runs after resume', async () => {
    await nav('Workflows').click();
    await page.getByRole('heading', { name: 'Workflows', exact: true }).waitFor();
    const row = page.locator('[data-role="workflow-row"][data-workflow-id="echo"]');
    // The catalog shows each workflow's retry policy.
    await page
      .locator('[data-role="workflow-row"][data-workflow-id="flaky"] [data-role="retry"]')
      .getByText('3 attempts, 1 s backoff ×2')
      .waitFor();

    await row.getByRole('button', { name: 'Pause echo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause echo' });
    await dialog.getByRole('button', { name: 'Pause workflow' }).click();
    await dialog.getByText('Say why').waitFor();
    await dialog.getByLabel('Reason').fill('Partner API maintenance');
    await dialog.getByRole('button', { name: 'Pause workflow' }).click();
    await row.locator('[data-role="paused"]').waitFor();
    await row.getByText('by local-admin: Partner API maintenance').waitFor();

    const id = await submit('echo', { held: true });
    await nav('Workers').click();
    const paused = page.locator('[data-role="paused-workflow"][data-workflow-id="echo"]');
    await paused.getByText('1 waiting').waitFor();
    await paused.getByText('Partner API maintenance').waitFor();
    expect((await execution(id)).status).toBe('QUEUED');

    await nav('Workflows').click();
    await row.getByRole('button', { name: 'Resume echo' }).click();
    await row.getByRole('button', { name: 'Pause echo' }).waitFor();
    expect(await finished(id)).toMatchObject({ status: 'SUCCESS', attempt: 1 });
    await nav('Workers').click();
    await page.getByTestId('queue-paused').waitFor({ state: 'detached' });
  });

  it('cancels a running execution from its page', async () => {
    const id = await submit('sleep', { ms: 120_000 });
    await page.goto(`${outputs.AdminUrl}/executions/${id}`);
    const status = page.getByTestId('execution-status');
    await status.and(page.locator('[data-state="RUNNING"]')).waitFor();
    await page.getByTestId('cancel-execution').click();
    const dialog = confirmDialog('Cancel this execution?');
    await dialog.getByText('Its AbortSignal fires').waitFor();
    await dialog.getByRole('button', { name: 'Cancel execution' }).click();
    await status.and(page.locator('[data-state="CANCELLED"]')).waitFor();
    await page.getByTestId('execution-error').getByText('Cancelled', { exact: true }).waitFor();
    await page.getByTestId('cancel-execution').waitFor({ state: 'detached' });

    // A finished execution offers a rerun, which names its original.
    await page.getByTestId('rerun-execution').click();
    await page.getByTestId('rerun-of').getByRole('link', { name: id }).waitFor();
  });

  it('lists, previews, redrives and deletes dead letters', async () => {
    const dlqSend = async (body: unknown) =>
      (
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: outputs.DeadLetterQueueUrl,
            MessageBody: JSON.stringify(body),
          }),
        )
      ).MessageId!;
    const executionId = `dead-${Date.now()}`;
    const redriveId = await dlqSend({ executionId, workflowId: 'echo', input: { saved: true } });
    const deleteId = await dlqSend({ executionId: `${executionId}-junk`, workflowId: 'echo' });

    await nav('Dead letters').click();
    await page.getByRole('heading', { name: 'Dead letters', exact: true }).waitFor();
    const redriveRow = page.locator(
      `[data-role="dead-letter-row"][data-message-id="${redriveId}"]`,
    );
    const deleteRow = page.locator(`[data-role="dead-letter-row"][data-message-id="${deleteId}"]`);
    await redriveRow.getByText('no record').waitFor();
    await deleteRow.waitFor();

    await redriveRow.getByRole('button', { name: `Preview message ${redriveId}` }).click();
    await page.getByTestId('dead-letter-preview').getByText('"saved": true').waitFor();

    await deleteRow.getByRole('checkbox').check();
    await page.getByTestId('delete-selected').click();
    await confirmDialog('Delete 1 message for good?')
      .getByRole('button', { name: 'Delete' })
      .click();
    await deleteRow.waitFor({ state: 'detached' });

    await redriveRow.getByRole('checkbox').check();
    await page.getByTestId('redrive-selected').click();
    await confirmDialog('Redrive 1 message?').getByRole('button', { name: 'Redrive' }).click();
    await page.locator('.p-toast-message').filter({ hasText: 'Redrove 1 message' }).waitFor();
    await redriveRow.waitFor({ state: 'detached' });
    expect(await finished(executionId)).toMatchObject({
      status: 'SUCCESS',
      output: { echo: { saved: true } },
    });
  });
});
