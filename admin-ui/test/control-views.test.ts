/**
 * The operator controls' views over the fake API: bulk actions count first and act only after a
 * confirmation that shows the count; the Dead letters page acts on the selection only; the
 * Workflows page shows each retry policy and who paused what.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLettersResponse, WorkflowsResponse } from '@warden/core';
import { FakeApi } from './support/fake-api';
import { iso, queueResponse, workersResponse } from './support/fixtures';
import { click, element, mountApp, page, see, type MountedApp } from './support/mount-app';

let api: FakeApi;
let app: MountedApp | undefined;

const catalog: WorkflowsResponse = {
  workflows: [
    {
      id: 'echo',
      name: 'Echo',
      timeoutSeconds: 30,
      workers: 1,
      blacklisted: false,
      paused: {
        workflowId: 'echo',
        reason: 'partner outage',
        pausedAt: iso(120_000),
        pausedBy: 'alice',
        waiting: 4,
      },
    },
    {
      id: 'flaky',
      name: 'Flaky',
      timeoutSeconds: 30,
      workers: 1,
      blacklisted: false,
      retry: { attempts: 3, backoffSeconds: 1, backoffRate: 2 },
    },
  ],
};

beforeEach(async () => {
  api = await new FakeApi().start();
  api.on('GET /api/workflows', { body: catalog });
  api.on('GET /api/platform/workers', { body: workersResponse() });
  api.on('GET /api/platform/queue', { body: queueResponse() });
  api.on('GET /api/executions', { body: { items: [] } });
});

afterEach(async () => {
  await app?.unmount();
  app = undefined;
  await api.stop();
});

describe('bulk actions on Executions', () => {
  it('counts with a dry run, shows the count, and acts only once confirmed', async () => {
    api.on('POST /api/executions/bulk-cancel', (request) => {
      const dryRun = (request.body as { dryRun: boolean }).dryRun;
      return {
        body: {
          dryRun,
          matched: 3,
          executionIds: ['a', 'b', 'c'],
          truncated: false,
          ...(dryRun
            ? {}
            : {
                results: ['a', 'b', 'c'].map((executionId) => ({
                  executionId,
                  outcome: 'CANCELLED',
                })),
              }),
        },
      };
    });
    app = await mountApp(api, '/executions');
    await click('Cancel matching');
    await see('Cancel 3 executions?');
    expect(api.requestsTo('POST /api/executions/bulk-cancel').map((r) => r.body)).toEqual([
      { dryRun: true },
    ]);
    await click('Cancel them');
    await see('Cancelled 3 executions');
    expect(api.requestsTo('POST /api/executions/bulk-cancel').map((r) => r.body)).toEqual([
      { dryRun: true },
      { dryRun: false },
    ]);
  });

  it('says so when nothing matches, without asking', async () => {
    api.on('POST /api/executions/bulk-rerun', {
      body: { dryRun: true, matched: 0, executionIds: [], truncated: false },
    });
    app = await mountApp(api, '/executions');
    await click('Rerun failed matching');
    await see('Nothing to rerun');
    expect(api.requestsTo('POST /api/executions/bulk-rerun')).toHaveLength(1);
  });
});

describe('the Workflows page', () => {
  it('shows the retry policy, and who paused what, why and how much waits', async () => {
    app = await mountApp(api, '/workflows');
    await element('[data-role="workflow-row"][data-workflow-id="echo"] [data-role="paused"]');
    expect(page()).toContain('3 attempts, 1 s backoff ×2');
    expect(page()).toContain('by alice: partner outage');
    expect(page()).toContain('4 waiting');
    expect(page()).toContain('No retry');
  });
});

describe('the Dead letters page', () => {
  const listing: DeadLettersResponse = {
    depth: 2,
    messages: [
      {
        messageId: 'm-1',
        bodyPreview: '{"executionId":"e-1","workflowId":"echo"}',
        receiveCount: 3,
        firstSentAt: iso(600_000),
        executionId: 'e-1',
        workflowId: 'echo',
        status: 'FAILED',
        errorType: 'WorkerLost',
      },
      { messageId: 'm-2', bodyPreview: 'not json', receiveCount: 1, firstSentAt: iso(60_000) },
    ],
  };

  it('shows each message with its execution, and redrives only the selected ones', async () => {
    api.on('GET /api/platform/dead-letters', { body: listing });
    api.on('POST /api/platform/dead-letters/redrive', {
      body: { method: 'copy', moved: ['m-1'], notFound: [] },
    });
    app = await mountApp(api, '/dead-letters');
    await see('FAILED · WorkerLost');
    expect(page()).toContain('no record');
    expect(page()).toContain('2 in the queue');

    const checkbox = await element<HTMLInputElement>(
      '[data-message-id="m-1"] input[type="checkbox"]',
    );
    checkbox.click();
    await click('Redrive selected');
    await see('Redrive 1 message?');
    await click('Redrive');
    await see('Redrove 1 message');
    expect(api.requestsTo('POST /api/platform/dead-letters/redrive')[0]?.body).toEqual({
      messageIds: ['m-1'],
    });
  });

  it('says when the queue is empty', async () => {
    api.on('GET /api/platform/dead-letters', { body: { depth: 0, messages: [] } });
    app = await mountApp(api, '/dead-letters');
    await see('The dead-letter queue is empty');
  });
});
