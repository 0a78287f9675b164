/**
 * The Rollout view in a real Chromium against `npm start` with WARDEN_WORKER_MODES=process,thread:
 * a baseline and a canary worker on one queue take a mixed workload, and the view shows the two
 * modes side by side with the same figures the API computes, the verdict with its figures, the
 * three charts, and new executions without a reload.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Page } from 'playwright-core';
import type { RolloutResponse } from '@warden/core';
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

let home: string;
let stack: Spawned;
let outputs: LocalOutputs;
let browser: Browser;
let page: Page;
let sent = 0;

async function send(bodies: Record<string, unknown>[]): Promise<string[]> {
  const sqs = new SQSClient({
    region: outputs.Region,
    endpoint: outputs.AwsEndpoints.sqs,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
  const ids: string[] = [];
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((body) => {
      const executionId = `ui-${++sent}`;
      ids.push(executionId);
      return { Id: executionId, MessageBody: JSON.stringify({ executionId, ...body }) };
    });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: outputs.QueueUrl, Entries: entries }));
  }
  sqs.destroy();
  return ids;
}

async function rollout(): Promise<RolloutResponse> {
  const response = await fetch(`${outputs.ApiUrl}/api/platform/rollout?minutes=15`, {
    headers: { Authorization: `Bearer ${outputs.AdminToken}` },
  });
  return (await response.json()) as RolloutResponse;
}

const cell = (row: string, mode: 'process' | 'thread') =>
  page
    .getByTestId('rollout-table')
    .getByRole('row', { name: new RegExp(`^${row}`) })
    .locator(`td[data-mode="${mode}"]`);

beforeAll(async () => {
  ({
    app: stack,
    home,
    outputs,
  } = await startLocalPlatform('e2e-rollout', {
    WARDEN_WORKERS: undefined,
    WARDEN_WORKER_MODES: 'process,thread',
    WARDEN_CORS_ORIGIN: undefined,
    USE_THREAD_WORKERS: undefined,
    WORKER_THREAD_POOL_SIZE: '2',
    WORKER_EXECUTIONS_PER_THREAD: '4',
    WORKER_POLL_WAIT_SECONDS: '1',
    CANCEL_GRACE_SECONDS: '1',
    WORKER_HEARTBEAT_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'warn',
  }));
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
  await screenshotIfFailed(page, context.task.result?.state, context.task.name, 'e2e');
});

describe('the Rollout view', () => {
  it('shows the baseline and the canary side by side with the API figures, the verdict and the charts', async () => {
    const ids = await send([
      ...Array.from({ length: 10 }, (_, i) => ({ workflowId: 'echo', input: i })),
      ...Array.from({ length: 3 }, () => ({ workflowId: 'fail' })),
      ...Array.from({ length: 2 }, () => ({ workflowId: 'cpu-spin', timeoutSeconds: 1 })),
      ...Array.from({ length: 8 }, () => ({ workflowId: 'sleep', input: { ms: 3000 } })),
    ]);
    await waitFor(
      'the workload to finish in both modes',
      async () => {
        const report = await rollout();
        const done = report.modes.process.executions + report.modes.thread.executions;
        return (
          done === ids.length &&
          report.modes.process.memorySamples > 0 &&
          report.modes.thread.memorySamples > 0
        );
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    await page.goto(`${outputs.AdminUrl}/login`);
    await page.getByLabel('Admin token').fill(outputs.AdminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Workers', exact: true }).waitFor();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Rollout' })
      .click();
    await page.getByRole('heading', { name: 'Rollout', exact: true }).waitFor();
    expect(await page.title()).toBe('Rollout · Warden Admin');
    await page.getByTestId('rollout-window').getByText('15 min').click();
    await waitFor(
      'the 15-minute window',
      () => new URL(page.url()).searchParams.get('minutes') === '15',
    );

    const report = await rollout();
    for (const mode of ['process', 'thread'] as const) {
      const stats = report.modes[mode];
      await waitFor(
        `${mode} executions in the table`,
        async () =>
          (await cell('Executions finished', mode).innerText()) === String(stats.executions),
      );
      expect(await cell('Succeeded', mode).innerText()).toBe(String(stats.succeeded));
      expect(await cell('Failed', mode).innerText()).toBe(String(stats.failed));
      expect(await cell('Stuck', mode).innerText()).toBe(String(stats.stuck));
      expect(await cell('Success rate', mode).innerText()).toBe(
        stats.successRate === null ? '–' : `${(stats.successRate * 100).toFixed(1)} %`,
      );
      expect(await cell('Memory per execution', mode).innerText()).toContain('heartbeats');
    }
    const verdict = page.getByTestId('rollout-verdict');
    const label = { pass: 'Pass', fail: 'Fail', insufficient_data: 'Not enough data' };
    expect(await page.getByTestId('rollout-verdict-status').innerText()).toBe(
      label[report.verdict.status],
    );
    expect(await verdict.locator('[data-check="memory"]').innerText()).toContain(
      'Memory per execution down by more than 50 %',
    );
    expect(await verdict.locator('[data-check="success"]').innerText()).toContain(
      label[report.verdict.checks.successRate.status],
    );
    for (const chart of ['success', 'duration', 'memory']) {
      await page.getByTestId(`rollout-chart-${chart}`).locator('canvas').waitFor();
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'rollout.png'), fullPage: true });

    // New executions appear without a reload: events from the workers trigger a refetch.
    const before =
      Number(await cell('Executions finished', 'process').innerText()) +
      Number(await cell('Executions finished', 'thread').innerText());
    const more = await send(
      Array.from({ length: 4 }, (_, i) => ({ workflowId: 'echo', input: i })),
    );
    await waitFor(
      'the view to count the new executions',
      async () =>
        Number(await cell('Executions finished', 'process').innerText()) +
          Number(await cell('Executions finished', 'thread').innerText()) ===
        before + more.length,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(browser.pageErrors).toEqual([]);
  });
});
