/**
 * The runtime configuration the app reads from `/config.json` at start-up, so one build serves
 * every environment: the local stack writes it with its own URLs, the AWS deployment uploads one
 * naming the API Gateway endpoints and the Cognito hosted UI.
 */
export interface TokenAuthConfig {
  mode: 'token';
}

export interface CognitoAuthConfig {
  mode: 'cognito';
  /** Hosted UI domain, e.g. `warden-admin.auth.eu-west-1.amazoncognito.com` (https:// optional). */
  domain: string;
  clientId: string;
  /** Where the hosted UI sends the browser back; defaults to `<origin>/auth/callback`. */
  redirectUri?: string;
  /** Where the hosted UI sends the browser after signing out; defaults to `<origin>/login`. */
  logoutUri?: string;
  scopes?: string[];
}

export type AuthConfig = TokenAuthConfig | CognitoAuthConfig;

export interface RuntimeConfig {
  apiUrl: string;
  webSocketUrl: string;
  auth: AuthConfig;
}

export class RuntimeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeConfigError';
  }
}

function requireUrl(value: unknown, field: string, protocols: string[]): string {
  if (typeof value !== 'string' || value === '') {
    throw new RuntimeConfigError(`config.json: "${field}" is missing; expected a URL`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RuntimeConfigError(`config.json: "${field}" is not a URL: ${JSON.stringify(value)}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new RuntimeConfigError(
      `config.json: "${field}" must use ${protocols.join(' or ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** Checks the shape of config.json and names the first field that is wrong. */
export function parseRuntimeConfig(raw: unknown): RuntimeConfig {
  if (!raw || typeof raw !== 'object') {
    throw new RuntimeConfigError('config.json must hold a JSON object');
  }
  const input = raw as Record<string, unknown>;
  const apiUrl = requireUrl(input.apiUrl, 'apiUrl', ['http:', 'https:']);
  const webSocketUrl = requireUrl(input.webSocketUrl, 'webSocketUrl', ['ws:', 'wss:']);
  const auth = (input.auth ?? { mode: 'token' }) as Record<string, unknown>;
  if (auth.mode === 'token') return { apiUrl, webSocketUrl, auth: { mode: 'token' } };
  if (auth.mode !== 'cognito') {
    throw new RuntimeConfigError(
      `config.json: "auth.mode" must be "token" or "cognito"; got ${JSON.stringify(auth.mode)}`,
    );
  }
  for (const field of ['domain', 'clientId'] as const) {
    if (typeof auth[field] !== 'string' || auth[field] === '') {
      throw new RuntimeConfigError(
        `config.json: "auth.${field}" is required when auth.mode is cognito`,
      );
    }
  }
  const scopes = auth.scopes;
  if (
    scopes !== undefined &&
    (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string'))
  ) {
    throw new RuntimeConfigError('config.json: "auth.scopes" must be a list of strings');
  }
  return {
    apiUrl,
    webSocketUrl,
    auth: {
      mode: 'cognito',
      domain: auth.domain as string,
      clientId: auth.clientId as string,
      redirectUri: typeof auth.redirectUri === 'string' ? auth.redirectUri : undefined,
      logoutUri: typeof auth.logoutUri === 'string' ? auth.logoutUri : undefined,
      scopes: scopes as string[] | undefined,
    },
  };
}

export async function loadRuntimeConfig(
  fetchImpl: typeof fetch = fetch,
  url = '/config.json',
): Promise<RuntimeConfig> {
  let response: Response;
  try {
    response = await fetchImpl(url, { cache: 'no-store' });
  } catch (error) {
    throw new RuntimeConfigError(`Could not load ${url}: ${String(error)}`);
  }
  if (!response.ok) {
    let detail = '';
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      detail = body.error?.message ? ` ${body.error.message}` : '';
    } catch {
      // Not JSON: the status says enough.
    }
    throw new RuntimeConfigError(`Could not load ${url} (HTTP ${response.status}).${detail}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new RuntimeConfigError(`${url} is not valid JSON`);
  }
  return parseRuntimeConfig(body);
}
