/**
 * The Cognito path of authentication. Cognito cannot run here, so this file plays the user pool:
 * it generates an RSA key pair, serves the public key as a JWKS over HTTP, and signs tokens
 * shaped like Cognito's ID and access tokens. The API verifies them with the production code
 * (jose, fetching the JWKS over HTTP); only the issuer of the keys is local.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { CognitoAuthenticator, cognitoIssuer } from '@warden/functions';
import type { AuditListResponse, WorkersResponse } from '@warden/core';
import { startTestStack, type TestStack } from '../support/stack.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait.js';

const POOL = 'us-east-1_TestPool1';
const ISSUER = cognitoIssuer(POOL);
const CLIENT_ID = 'admin-app-client';
const ADMIN_GROUP = 'platform-admins';
const VIEWER_GROUP = 'warden-viewers';

let stack: TestStack;
let cp: TestControlPlane;
let jwksServer: Server;
let jwksRequests = 0;
let sign: (
  claims: JWTPayload,
  options?: { expiresIn?: string; issuer?: string },
) => Promise<string>;
let signWithOtherKey: (claims: JWTPayload) => Promise<string>;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((request, response) => {
    jwksRequests += 1;
    if (request.url !== `/${POOL}/.well-known/jwks.json`) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/${POOL}/.well-known/jwks.json`;

  sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setIssuer(options.issuer ?? ISSUER)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '10m')
      .sign(privateKey);
  signWithOtherKey = (claims) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(other.privateKey);

  stack = await startTestStack();
  cp = await startControlPlane(stack, {
    overrides: {
      authenticator: new CognitoAuthenticator({
        issuer: ISSUER,
        clientId: CLIENT_ID,
        adminGroup: ADMIN_GROUP,
        viewerGroup: VIEWER_GROUP,
        jwks: createRemoteJWKSet(new URL(jwksUrl)),
      }),
    },
  });
});
afterAll(async () => {
  await cp?.stop();
  await stack?.stop();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

const idToken = (claims: JWTPayload = {}) =>
  sign({
    sub: 'u-1',
    'cognito:username': 'alice',
    'cognito:groups': [ADMIN_GROUP],
    token_use: 'id',
    aud: CLIENT_ID,
    ...claims,
  });

describe('Cognito tokens on the admin API', () => {
  it('accepts an ID token of the admin group and records the user as the actor', async () => {
    const token = await idToken();
    const workers = await cp.api<WorkersResponse>('GET', '/api/platform/workers', { token });
    expect(workers.status).toBe(200);
    const saved = await cp.api<{ updatedBy: string }>('PUT', '/api/platform/config', {
      token,
      body: { stuck_circuit_breaker_threshold: 6 },
    });
    expect(saved.body.updatedBy).toBe('alice');
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('accepts an access token issued to the admin app', async () => {
    const token = await sign({
      sub: 'u-2',
      username: 'bob',
      'cognito:groups': ['readers', ADMIN_GROUP],
      token_use: 'access',
      client_id: CLIENT_ID,
    });
    expect((await cp.api('GET', '/api/platform/config', { token })).status).toBe(200);
  });

  it('lets the viewer group read and answers 403 naming the admin role to its changes', async () => {
    const token = await idToken({ 'cognito:username': 'vera', 'cognito:groups': [VIEWER_GROUP] });
    expect((await cp.api('GET', '/api/platform/workers', { token })).status).toBe(200);
    expect((await cp.api('GET', '/api/me', { token })).body).toMatchObject({
      id: 'vera',
      role: 'viewer',
    });
    const refused = await cp.api('PUT', '/api/platform/config', {
      token,
      body: { stuck_circuit_breaker_threshold: 9 },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(
      /needs the admin role: vera has the viewer role .*\(platform-admins\)/,
    );
    const trail = await cp.api<AuditListResponse>('GET', '/api/platform/audit?actor=vera', {
      token: await idToken(),
    });
    expect(trail.body.items.map((e) => `${e.action} ${e.actorRole} ${e.outcome}`)).toEqual([
      'config.update viewer denied',
    ]);
  });

  it('answers 403 to a valid token outside both groups', async () => {
    const token = await idToken({ 'cognito:groups': ['readers'] });
    const response = await cp.api('GET', '/api/platform/workers', { token });
    expect(response.status).toBe(403);
    expect(response.body.error?.message).toMatch(
      /needs the viewer or admin role: alice is signed in but has neither/,
    );
    const noGroups = await idToken({ 'cognito:groups': undefined });
    expect((await cp.api('GET', '/api/platform/workers', { token: noGroups })).status).toBe(403);
  });

  it.each([
    [
      'expired',
      () =>
        sign(
          { token_use: 'id', aud: CLIENT_ID, 'cognito:groups': [ADMIN_GROUP] },
          { expiresIn: '-1m' },
        ),
      /expired/,
    ],
    [
      'from another issuer',
      () =>
        sign(
          { token_use: 'id', aud: CLIENT_ID, 'cognito:groups': [ADMIN_GROUP] },
          { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' },
        ),
      /iss/,
    ],
    [
      'signed by another key',
      () => signWithOtherKey({ token_use: 'id', aud: CLIENT_ID, 'cognito:groups': [ADMIN_GROUP] }),
      /signature/,
    ],
    [
      'issued to another app',
      () => idToken({ aud: 'some-other-client' }),
      /not issued to the Warden admin app/,
    ],
    ['not a JWT at all', async () => 'definitely-not-a-jwt', /refused/],
  ])('answers 401 to a token %s', async (_what, make, message) => {
    const response = await cp.api('GET', '/api/platform/workers', { token: await make() });
    expect(response.status).toBe(401);
    expect(response.body.error?.code).toBe('UNAUTHENTICATED');
    expect(response.body.error?.message).toMatch(message);
  });
});

describe('Cognito tokens on the WebSocket', () => {
  const statusOf = (token: string) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(`${cp.webSocketUrl}?token=${encodeURIComponent(token)}`);
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', () => {});
    });

  it('lets an admin and a viewer connect, denies no role (403) and a bad token (401)', async () => {
    expect(await statusOf(await idToken())).toBe(101);
    expect(await statusOf(await idToken({ 'cognito:groups': [VIEWER_GROUP] }))).toBe(101);
    expect(await statusOf(await idToken({ 'cognito:groups': ['readers'] }))).toBe(403);
    expect(await statusOf(await signWithOtherKey({ token_use: 'id', aud: CLIENT_ID }))).toBe(401);
  });
});

describe('a WebSocket whose token expires', () => {
  it('is stored with the expiry and closed by the next publish after it; others keep receiving', async () => {
    const shortLived = await sign(
      {
        'cognito:username': 'brief',
        'cognito:groups': [ADMIN_GROUP],
        token_use: 'id',
        aud: CLIENT_ID,
      },
      { expiresIn: '3s' },
    );
    const brief = await cp.listen(shortLived);
    const steady = await cp.listen(await idToken());
    const rows = await stack.repos.connections.listActive();
    const briefRow = rows.find((row) => row.principal === 'brief');
    expect(briefRow?.tokenExpiresAt).toEqual(expect.any(String));
    const expiresAt = Date.parse(briefRow!.tokenExpiresAt!);
    expect(briefRow!.expiresAt).toBe(Math.floor(expiresAt / 1000));
    let closed = false;
    brief.socket.once('close', () => (closed = true));

    await waitFor('the short-lived token to expire', () => Date.now() > expiresAt + 1000, {
      timeoutMs: 10_000,
    });
    // Any event: blacklisting a workflow publishes workflow_blacklisted.
    const added = await cp.api('POST', '/api/platform/blacklist', {
      body: { workflowId: 'expiry-probe', reason: 'publishes an event' },
      token: await idToken(),
    });
    expect(added.status).toBe(201);
    await steady.next('workflow_blacklisted');
    await waitFor('the expired connection to be closed', () => closed, { timeoutMs: 10_000 });
    expect(brief.events.some(({ event }) => event.type === 'workflow_blacklisted')).toBe(false);
    const after = await stack.repos.connections.listAll();
    expect([...after.active, ...after.expired].map((row) => row.principal)).not.toContain('brief');
    await steady.close();
  });
});
