import { describe, expect, it } from 'vitest';
import {
  AuthError,
  TokenAuthenticator,
  bearerToken,
  cognitoIssuer,
  requireAdmin,
} from '../src/auth.js';

describe('local token authentication', () => {
  const auth = new TokenAuthenticator('admin-token-0123456789', 'viewer-token-0123456789');

  it('knows the admin and the non-admin token, and refuses anything else with 401', async () => {
    expect(await auth.authenticate('admin-token-0123456789')).toMatchObject({ admin: true });
    expect(await auth.authenticate('viewer-token-0123456789')).toMatchObject({ admin: false });
    await expect(auth.authenticate('admin-token-012345678')).rejects.toMatchObject({ status: 401 });
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ status: 401 });
  });

  it('lets only admins through the role check (403 otherwise)', async () => {
    const viewer = await auth.authenticate('viewer-token-0123456789');
    expect(() => requireAdmin(viewer)).toThrow(AuthError);
    try {
      requireAdmin(viewer);
    } catch (error) {
      expect((error as AuthError).status).toBe(403);
    }
  });
});

describe('headers and issuers', () => {
  it('reads a bearer token, case-insensitively, and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('derives the Cognito issuer from the pool id', () => {
    expect(cognitoIssuer('eu-west-1_AbC')).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
    );
  });
});
