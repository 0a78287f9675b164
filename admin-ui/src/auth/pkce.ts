/**
 * Sign-in through the Cognito hosted UI with the authorization-code flow and PKCE (RFC 7636):
 * the browser keeps a random verifier, sends only its SHA-256 challenge to /oauth2/authorize and
 * proves possession of the verifier when it trades the code for tokens at /oauth2/token. No
 * client secret lives in the app.
 */
import type { CognitoAuthConfig } from '../config/runtime-config';

export const DEFAULT_SCOPES = ['openid', 'email', 'profile'];

export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A verifier of 43-128 characters from the unreserved alphabet, as RFC 7636 §4.1 asks. */
export function createVerifier(byteLength = 48): string {
  const bytes = new Uint8Array(byteLength);
  crypto.getRandomValues(bytes);
  return base64Url(bytes);
}

/** The S256 challenge: base64url(SHA-256(ASCII(verifier))). */
export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export function hostedUiBase(config: CognitoAuthConfig): string {
  const domain = config.domain.replace(/\/+$/, '');
  return /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
}

export function redirectUriFor(config: CognitoAuthConfig, origin: string): string {
  return config.redirectUri ?? `${origin}/auth/callback`;
}

export function buildAuthorizeUrl(
  config: CognitoAuthConfig,
  params: { challenge: string; state: string; origin: string },
): string {
  const url = new URL(`${hostedUiBase(config)}/oauth2/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUriFor(config, params.origin));
  url.searchParams.set('scope', (config.scopes ?? DEFAULT_SCOPES).join(' '));
  url.searchParams.set('state', params.state);
  url.searchParams.set('code_challenge', params.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

export function buildLogoutUrl(config: CognitoAuthConfig, origin: string): string {
  const url = new URL(`${hostedUiBase(config)}/logout`);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('logout_uri', config.logoutUri ?? `${origin}/login`);
  return url.toString();
}

/** The form body that trades an authorization code for tokens. */
export function tokenRequestBody(
  config: CognitoAuthConfig,
  params: { code: string; verifier: string; origin: string },
): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code: params.code,
    redirect_uri: redirectUriFor(config, params.origin),
    code_verifier: params.verifier,
  });
}

export interface CognitoTokens {
  accessToken: string;
  idToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export async function exchangeCode(
  config: CognitoAuthConfig,
  params: { code: string; verifier: string; origin: string },
  fetchImpl: typeof fetch = fetch,
  now = Date.now(),
): Promise<CognitoTokens> {
  const response = await fetchImpl(`${hostedUiBase(config)}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody(config, params),
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    id_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !body.access_token) {
    throw new Error(
      `Sign-in could not be completed: ${body.error_description ?? body.error ?? `HTTP ${response.status}`}`,
    );
  }
  return {
    accessToken: body.access_token,
    idToken: body.id_token,
    expiresAt: now + (body.expires_in ?? 3600) * 1000,
  };
}
