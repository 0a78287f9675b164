/**
 * Safe operations over real HTTP against the emulators: the viewer role (every read answers 200,
 * every mutation 403 naming the admin role, for every route in the app's route table, so a route
 * added later is covered without editing this file), the audit trail (each kind of action with
 * its actor and outcome; no way to change or delete an entry), and execution search.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditRepository,
  DuplicateAuditEntryError,
  type AuditEntry,
  type AuditListResponse,
  type ExecutionListResponse,
  type MeResponse,
} from '@warden/core';
import { createAdminApp } from '@warden/functions';
import { startApiServer } from '@warden/local/api-server';
import { startTestStack, type TestStack } from '../support/stack.js';
import {
  startControlPlane,
  workerRecord,
  type TestControlPlane,
} from '../support/control-plane.js';

let stack: TestStack;
let cp: TestControlPlane;
const UUID = randomUUID();

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack, { env: { WORKER_SILENT_AFTER_SECONDS: '60' } });
  await stack.repos.workers.register(workerRecord('worker-a'));
  const { executions } = stack.repos;
  for (const id of ['cust-ab12-1', 'cust-ab12-2', 'cust-ab99-1', 'other-ab12', UUID]) {
    await executions.createQueued({ executionId: id, workflowId: 'echo' });
  }
  // Two failures of one type, one of another, one running on worker-a.
  for (const [executionId, errorType] of [
    ['cust-ab12-2', 'OutOfMemory'],
    ['cust-ab99-1', 'OutOfMemory'],
    ['other-ab12', 'WorkflowError'],
  ] as const) {
    await executions.failUnrun({
      executionId,
      workflowId: 'echo',
      errorType,
      errorMessage: 'test',
      queuedAt: new Date().toISOString(),
    });
  }
  await executions.claim({
    executionId: 'cust-ab12-1',
    workflowId: 'echo',
    workerId: 'worker-a',
    attempt: 1,
    leaseMs: 60_000,
    queuedAt: new Date().toISOString(),
    timeoutSeconds: 30,
  });
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

/** Values for path parameters; a route with a new parameter needs a sample here. */
const SAMPLES: Record<string, string> = {
  workerId: 'worker-a',
  pid: '4242',
  executionId: 'cust-ab12-1',
  workflowId: 'echo',
};

/** Every route the admin app serves, from its own route table. */
function routeTable(): { method: string; path: string }[] {
  const app = createAdminApp(cp.deps);
  const seen = new Set<string>();
  return app.routes
    .filter((route) => route.method !== 'ALL')
    .filter((route) => {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map(({ method, path }) => ({ method, path }));
}

function concrete(path: string): string {
  return path.replace(/:(\w+)/g, (_match, name: string) => {
    const value = SAMPLES[name];
    if (!value) throw new Error(`add a sample value for :${name} (route ${path}) to SAMPLES`);
    return encodeURIComponent(value);
  });
}

describe('the viewer role', () => {
  it('knows who it is and that it may only read', async () => {
    const me = await cp.api<MeResponse>('GET', '/api/me', { token: cp.viewerToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: 'local-viewer', role: 'viewer' });
    expect(me.body.readOnlyReason).toMatch(/admin role/);
    const admin = await cp.api<MeResponse>('GET', '/api/me');
    expect(admin.body).toEqual({ id: 'local-admin', role: 'admin' });
  });

  it('answers 200 to every read and 403 naming the admin role to every mutation', async () => {
    const routes = routeTable();
    expect(routes.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(10);
    expect(routes.filter((r) => r.method !== 'GET').length).toBeGreaterThanOrEqual(6);
    const answers: string[] = [];
    for (const route of routes) {
      const path = concrete(route.path);
      const response = await cp.api(route.method, path, {
        token: cp.viewerToken,
        body: route.method === 'GET' ? undefined : {},
      });
      answers.push(`${route.method} ${route.path} ${response.status}`);
      if (route.method === 'GET') {
        expect(response.status, `${route.method} ${path}`).toBe(200);
      } else {
        expect(response.status, `${route.method} ${path}`).toBe(403);
        expect(response.body.error?.code).toBe('FORBIDDEN');
        expect(response.body.error?.message).toMatch(/needs the admin role.*viewer role/);
      }
    }
    expect(answers.length).toBe(routes.length);
  });

  it('changed nothing while refusing, and each refusal is in the trail as denied', async () => {
    expect(await stack.repos.blacklist.listActive()).toEqual([]);
    expect((await stack.repos.systemConfig.get()).updatedBy).toBeUndefined();
    expect(await stack.repos.commands.listPending('worker-a')).toEqual([]);
    const denied = await cp.api<AuditListResponse>(
      'GET',
      '/api/platform/audit?actor=local-viewer&limit=200',
    );
    const mutations = routeTable().filter((r) => r.method !== 'GET');
    expect(denied.body.items).toHaveLength(mutations.length);
    for (const entry of denied.body.items) {
      expect(entry).toMatchObject({ actor: 'local-viewer', actorRole: 'viewer', status: 403 });
      expect(entry.outcome).toBe('denied');
      expect(entry.message).toMatch(/needs the admin role/);
    }
    expect(new Set(denied.body.items.map((e) => e.route))).toEqual(
      new Set(mutations.map((r) => r.path)),
    );
  });

  it('lets a viewer listen to live events', async () => {
    const listener = await cp.listen(cp.viewerToken);
    expect(await listener.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await listener.close();
  });
});

describe('the audit trail', () => {
  let actions: AuditEntry[];

  beforeAll(async () => {
    const requestId = 'req-blacklist-add-1';
    expect(
      (
        await cp.api('POST', '/api/platform/blacklist', {
          body: { workflowId: 'echo', reason: 'audit test' },
          headers: { 'X-Request-Id': requestId },
        })
      ).status,
    ).toBe(201);
    expect((await cp.api('DELETE', '/api/platform/blacklist/echo')).status).toBe(200);
    expect((await cp.api('DELETE', '/api/platform/blacklist/echo')).status).toBe(404);
    expect(
      (
        await cp.api('PUT', '/api/platform/config', {
          body: { stuck_circuit_breaker_threshold: 4 },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await cp.api('POST', '/api/platform/workers/worker-a/processes/4242/recycle', {
          body: { generation: 3 },
        })
      ).status,
    ).toBe(202);
    // worker-a has a fresh heartbeat: stopping it without force is refused.
    expect((await cp.api('POST', '/api/platform/workers/worker-a/stop', { body: {} })).status).toBe(
      409,
    );
    expect((await cp.api('POST', '/api/executions', { body: { workflowId: 'echo' } })).status).toBe(
      202,
    );
    const all = await cp.api<AuditListResponse>(
      'GET',
      '/api/platform/audit?actor=local-admin&limit=200',
    );
    expect(all.status).toBe(200);
    actions = all.body.items;
  });

  it('lists each kind of action with its actor, target, outcome and request id', () => {
    const summary = actions
      .map((e) => `${e.action} ${e.target} ${e.status} ${e.outcome} ${e.actor}`)
      .reverse();
    expect(summary).toEqual([
      'blacklist.create echo 201 success local-admin',
      'blacklist.delete echo 200 success local-admin',
      'blacklist.delete echo 404 failed local-admin',
      'config.update config 200 success local-admin',
      'process.recycle worker-a 202 success local-admin',
      'worker.stop worker-a 409 failed local-admin',
      'execution.create echo 202 success local-admin',
    ]);
    const add = actions.find((e) => e.action === 'blacklist.create')!;
    expect(add.requestId).toBe('req-blacklist-add-1');
    expect(add.body).toEqual({ workflowId: 'echo', reason: 'audit test' });
    expect(Date.now() - Date.parse(add.at)).toBeLessThan(60_000);
    const recycle = actions.find((e) => e.action === 'process.recycle')!;
    expect(recycle.params).toEqual({ workerId: 'worker-a', pid: '4242' });
    expect(recycle.route).toBe('/api/platform/workers/:workerId/processes/:pid/recycle');
    const stop = actions.find((e) => e.action === 'worker.stop')!;
    expect(stop.message).toMatch(/heartbeat/);
    // Every request id is unique and came back to the caller.
    expect(new Set(actions.map((e) => e.requestId)).size).toBe(actions.length);
  });

  it('filters by action, target and time, and pages with an opaque cursor', async () => {
    const byAction = await cp.api<AuditListResponse>(
      'GET',
      '/api/platform/audit?action=blacklist.delete',
    );
    // The admin's failed and successful removal, then the viewer's refused one.
    expect(byAction.body.items.map((e) => `${e.actor} ${e.status}`)).toEqual([
      'local-admin 404',
      'local-admin 200',
      'local-viewer 403',
    ]);
    const byTarget = await cp.api<AuditListResponse>(
      'GET',
      '/api/platform/audit?target=worker-a&actor=local-admin',
    );
    expect(byTarget.body.items.map((e) => e.action)).toEqual(['worker.stop', 'process.recycle']);
    const future = new Date(Date.now() + 3600_000).toISOString();
    const none = await cp.api<AuditListResponse>(
      'GET',
      `/api/platform/audit?from=${encodeURIComponent(future)}`,
    );
    expect(none.body.items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page: { body: AuditListResponse } = await cp.api<AuditListResponse>(
        'GET',
        `/api/platform/audit?actor=local-admin&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((e) => e.entryKey));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(actions.map((e) => e.entryKey));

    const bad = await cp.api('GET', '/api/platform/audit?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.field).toBe('cursor');
    const badAction = await cp.api('GET', '/api/platform/audit?action=Pause');
    expect(badAction.status).toBe(400);
    expect(badAction.body.error?.message).toMatch(/<resource>\.<verb>/);
  });

  it('cannot be changed or deleted through the API, by anyone', async () => {
    const before = await stack.repos.audit.list({ limit: 200 });
    const entry = before.items[0]!;
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of [
        '/api/platform/audit',
        `/api/platform/audit/${encodeURIComponent(entry.entryKey)}`,
      ]) {
        const response = await cp.api(method, path, { body: { outcome: 'success' } });
        expect(response.status, `${method} ${path}`).toBe(404);
      }
    }
    const after = await stack.repos.audit.list({ limit: 200 });
    expect(after.items).toEqual(before.items);
  });

  it('has no update or delete in code, and refuses to overwrite an entry', async () => {
    expect(Object.getOwnPropertyNames(AuditRepository.prototype).sort()).toEqual([
      'append',
      'constructor',
      'list',
    ]);
    const [first] = (await stack.repos.audit.list({ limit: 1 })).items;
    const { entryKey: _key, ...rest } = first!;
    await expect(stack.repos.audit.append({ ...rest, outcome: 'success' })).rejects.toBeInstanceOf(
      DuplicateAuditEntryError,
    );
    expect((await stack.repos.audit.list({ limit: 1 })).items[0]).toEqual(first);
  });
});

describe('a route added later, elsewhere', () => {
  it('is audited and reserved to admins without a line of its own', async () => {
    // The app as it is, plus a route no one has written yet: nothing else edited.
    const app = createAdminApp(cp.deps);
    app.post('/api/platform/widgets/:widgetId/polish', (c) =>
      c.json({ polished: c.req.param('widgetId') }, 202),
    );
    const server = await startApiServer(app, { port: 0 });
    try {
      const call = (token: string) =>
        fetch(`${server.url}/api/platform/widgets/w-7/polish`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': `pause-${token.length}` },
        });
      const refused = await call(cp.viewerToken);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
        /needs the admin role/,
      );
      const done = await call(cp.adminToken);
      expect(done.status).toBe(202);
      expect(done.headers.get('x-request-id')).toBe(`pause-${cp.adminToken.length}`);
    } finally {
      await server.stop();
    }
    const trail = await cp.api<AuditListResponse>(
      'GET',
      '/api/platform/audit?action=widget.polish',
    );
    expect(trail.body.items.map((e) => `${e.actor} ${e.target} ${e.outcome} ${e.status}`)).toEqual([
      'local-admin w-7 success 202',
      'local-viewer w-7 denied 403',
    ]);
  });
});

describe('execution search', () => {
  const ids = async (query: string): Promise<string[]> => {
    const response = await cp.api<ExecutionListResponse>('GET', `/api/executions?${query}`, {
      token: cp.viewerToken,
    });
    expect(response.status, query).toBe(200);
    return response.body.items.map((e) => e.executionId).sort();
  };

  it('finds executions by an id prefix, and by a whole id', async () => {
    expect(await ids('q=cust-ab12')).toEqual(['cust-ab12-1', 'cust-ab12-2']);
    expect(await ids('q=cust-ab')).toEqual(['cust-ab12-1', 'cust-ab12-2', 'cust-ab99-1']);
    expect(await ids('q=ab12')).toEqual([]);
    expect(await ids(`q=${UUID}`)).toEqual([UUID]);
    expect(await ids(`q=${UUID.slice(0, 8)}`)).toEqual([UUID]);
    expect(await ids('q=cust-ab12&status=FAILED')).toEqual(['cust-ab12-2']);
  });

  it('finds executions by error type and by worker', async () => {
    expect(await ids('errorType=OutOfMemory')).toEqual(['cust-ab12-2', 'cust-ab99-1']);
    expect(await ids('errorType=WorkflowError')).toEqual(['other-ab12']);
    expect(await ids('errorType=OutOfMemory&q=cust-ab99')).toEqual(['cust-ab99-1']);
    expect(await ids('workerId=worker-a')).toEqual(['cust-ab12-1']);
    expect(await ids('workerId=worker-z')).toEqual([]);
  });

  it('pages a prefix search with the cursor', async () => {
    const first = await cp.api<ExecutionListResponse>('GET', '/api/executions?q=cust-&limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await cp.api<ExecutionListResponse>(
      'GET',
      `/api/executions?q=cust-&limit=2&cursor=${first.body.nextCursor}`,
    );
    const all = [...first.body.items, ...second.body.items].map((e) => e.executionId).sort();
    expect(all).toEqual(['cust-ab12-1', 'cust-ab12-2', 'cust-ab99-1']);
  });

  it('names what is wrong with a bad filter', async () => {
    const badType = await cp.api('GET', '/api/executions?errorType=Boom');
    expect(badType.status).toBe(400);
    expect(badType.body.error?.field).toBe('errorType');
    expect(badType.body.error?.message).toMatch(/OutOfMemory/);
    const badQ = await cp.api('GET', `/api/executions?q=${encodeURIComponent('a b')}`);
    expect(badQ.status).toBe(400);
    expect(badQ.body.error?.field).toBe('q');
  });
});
