/**
 * Core's API route table (API_ROUTES), which the CLI's client and the admin app's client are
 * type-checked against, is exactly the set of routes the admin HTTP app serves: a route added to
 * the app without the table (or left in the table after the app dropped it) fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '@warden/core';
import { createAdminApp } from '@warden/functions';
import { startTestStack, type TestStack } from '../support/stack.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

let stack: TestStack;
let cp: TestControlPlane;

beforeAll(async () => {
  stack = await startTestStack();
  cp = await startControlPlane(stack);
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
});

describe('the API route table', () => {
  it('lists every route the admin app serves, and nothing else', () => {
    const served = new Set(
      createAdminApp(cp.deps)
        .routes.filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path}`),
    );
    const table = new Set<string>(API_ROUTES);
    expect(API_ROUTES.length).toBe(table.size);
    expect([...served].filter((route) => !table.has(route))).toEqual([]);
    expect([...table].filter((route) => !served.has(route))).toEqual([]);
  });

  it('routes every entry to its handler over the real API, not to "no route"', async () => {
    // GET routes only: a read with the admin token reaches the handler (a missing resource is
    // its own 404, never the app's "No route" answer); mutations are left unsent.
    for (const route of API_ROUTES.filter((r) => r.startsWith('GET '))) {
      const path = route.slice(4).replace(/:(\w+)/g, 'missing');
      const response = await cp.api<{ error?: { message?: string } }>('GET', path);
      expect(
        response.body.error?.message ?? '',
        `${route} answered ${response.status}`,
      ).not.toMatch(/^No route/);
    }
  });
});
