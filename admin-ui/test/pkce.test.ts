// @vitest-environment node
/**
 * Cognito sign-in cannot run here (no Cognito, no network), so this checks what the app builds
 * for it: the PKCE verifier and challenge (against RFC 7636's own example), the hosted-UI URLs,
 * and the code-for-token exchange against a local HTTP server standing in for /oauth2/token.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  buildAuthorizeUrl,
  buildLogoutUrl,
  challengeFor,
  createVerifier,
  exchangeCode,
  tokenRequestBody,
} from '../src/auth/pkce';
import type { CognitoAuthConfig } from '../src/config/runtime-config';

const cognito: CognitoAuthConfig = {
  mode: 'cognito',
  domain: 'warden-admin.auth.eu-west-1.amazoncognito.com',
  clientId: '4abc5def6ghi',
};

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes verifiers of 43-128 unreserved characters, different every time', () => {
    const verifiers = new Set(Array.from({ length: 50 }, () => createVerifier()));
    expect(verifiers.size).toBe(50);
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
  });
});

describe('the hosted UI URLs', () => {
  it('sends the code flow with the S256 challenge, state and default scopes', () => {
    const url = new URL(
      buildAuthorizeUrl(cognito, {
        challenge: 'CHAL',
        state: 'STATE',
        origin: 'https://admin.example.com',
      }),
    );
    expect(url.origin).toBe('https://warden-admin.auth.eu-west-1.amazoncognito.com');
    expect(url.pathname).toBe('/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: '4abc5def6ghi',
      redirect_uri: 'https://admin.example.com/auth/callback',
      scope: 'openid email profile',
      state: 'STATE',
      code_challenge: 'CHAL',
      code_challenge_method: 'S256',
    });
  });

  it('honours a configured redirect, scopes and an https:// domain', () => {
    const url = new URL(
      buildAuthorizeUrl(
        {
          ...cognito,
          domain: 'https://login.example.com/',
          redirectUri: 'https://x.example/cb',
          scopes: ['openid'],
        },
        { challenge: 'c', state: 's', origin: 'https://ignored' },
      ),
    );
    expect(url.origin).toBe('https://login.example.com');
    expect(url.searchParams.get('redirect_uri')).toBe('https://x.example/cb');
    expect(url.searchParams.get('scope')).toBe('openid');
  });

  it('signs out through /logout back to the sign-in page', () => {
    const url = new URL(buildLogoutUrl(cognito, 'https://admin.example.com'));
    expect(url.pathname).toBe('/logout');
    expect(url.searchParams.get('logout_uri')).toBe('https://admin.example.com/login');
    expect(url.searchParams.get('client_id')).toBe('4abc5def6ghi');
  });

  it('trades the code with the verifier and no client secret', () => {
    const body = tokenRequestBody(cognito, {
      code: 'CODE',
      verifier: 'VER',
      origin: 'https://a.example',
    });
    expect(Object.fromEntries(body)).toEqual({
      grant_type: 'authorization_code',
      client_id: '4abc5def6ghi',
      code: 'CODE',
      redirect_uri: 'https://a.example/auth/callback',
      code_verifier: 'VER',
    });
  });
});

describe('the token exchange', () => {
  async function tokenEndpoint(status: number, answer: unknown) {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const domain = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { domain, received, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('keeps the access token and when it expires', async () => {
    const endpoint = await tokenEndpoint(200, {
      access_token: 'AT',
      id_token: 'IT',
      expires_in: 3600,
    });
    try {
      const tokens = await exchangeCode(
        { ...cognito, domain: endpoint.domain },
        { code: 'C', verifier: 'V', origin: 'https://a.example' },
        fetch,
        1_000,
      );
      expect(tokens).toEqual({ accessToken: 'AT', idToken: 'IT', expiresAt: 3_601_000 });
      expect(endpoint.received[0]).toContain(
        'POST /oauth2/token application/x-www-form-urlencoded',
      );
      expect(endpoint.received[0]).toContain('code_verifier=V');
    } finally {
      await endpoint.close();
    }
  });

  it("reports Cognito's reason when the exchange is refused", async () => {
    const endpoint = await tokenEndpoint(400, {
      error: 'invalid_grant',
      error_description: 'code expired',
    });
    try {
      await expect(
        exchangeCode(
          { ...cognito, domain: endpoint.domain },
          { code: 'C', verifier: 'V', origin: 'o' },
        ),
      ).rejects.toThrow('Sign-in could not be completed: code expired');
    } finally {
      await endpoint.close();
    }
  });
});
