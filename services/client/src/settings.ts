/**
 * Where the CLI finds the API and its token: flags first, then WARDEN_API_URL and
 * WARDEN_ADMIN_TOKEN, then an outputs file (`npm start` writes `.warden/outputs.json`; `cdk
 * deploy --outputs-file` writes the same shape, though in AWS the token is a Cognito JWT you pass
 * yourself).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export interface ClientSettings {
  apiUrl: string;
  token: string;
  /** Where each came from, for messages. */
  from: { apiUrl: string; token: string };
}

export interface SettingsFlags {
  apiUrl?: string;
  token?: string;
  /** Path of an outputs file. */
  outputs?: string;
}

interface StackOutputs {
  ApiUrl?: unknown;
  AdminToken?: unknown;
}

async function readOutputs(
  file: string,
  explicit: boolean,
): Promise<{ apiUrl?: string; token?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (explicit) {
      throw new SettingsError(`Cannot read the outputs file ${file}: ${(error as Error).message}`);
    }
    return undefined;
  }
  let parsed: Record<string, StackOutputs>;
  try {
    parsed = JSON.parse(text) as Record<string, StackOutputs>;
  } catch {
    throw new SettingsError(`${file} is not JSON: expected the outputs file npm start writes`);
  }
  for (const outputs of Object.values(parsed ?? {})) {
    if (outputs && typeof outputs.ApiUrl === 'string') {
      return {
        apiUrl: outputs.ApiUrl,
        token: typeof outputs.AdminToken === 'string' ? outputs.AdminToken : undefined,
      };
    }
  }
  return undefined;
}

/** Loopback hosts, where plain http never leaves the machine. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The token is only ever sent to a URL from the same source or a less explicit one: a URL given
 * with --api-url needs --token; a URL from WARDEN_API_URL takes the token from --token or
 * WARDEN_ADMIN_TOKEN; a URL from the outputs file takes --token, WARDEN_ADMIN_TOKEN or the file's
 * own token. So a URL slipped into a command line never receives a stored token.
 */
export async function resolveClientSettings(
  flags: SettingsFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<ClientSettings> {
  const outputsFile = flags.outputs
    ? resolve(cwd, flags.outputs)
    : join(env.WARDEN_HOME ? resolve(cwd, env.WARDEN_HOME) : join(cwd, '.warden'), 'outputs.json');

  let apiUrl: string | undefined;
  let token: string | undefined;
  let from: ClientSettings['from'];
  if (flags.apiUrl) {
    if (!flags.token) {
      throw new SettingsError(
        '--api-url needs --token as well: a stored token (WARDEN_ADMIN_TOKEN, the outputs file) is never sent to a URL given on the command line',
      );
    }
    apiUrl = flags.apiUrl;
    token = flags.token;
    from = { apiUrl: '--api-url', token: '--token' };
  } else if (env.WARDEN_API_URL && !flags.outputs) {
    apiUrl = env.WARDEN_API_URL;
    token = flags.token ?? env.WARDEN_ADMIN_TOKEN;
    from = {
      apiUrl: 'WARDEN_API_URL',
      token: flags.token ? '--token' : 'WARDEN_ADMIN_TOKEN',
    };
    if (!token) {
      throw new SettingsError(
        'WARDEN_API_URL needs WARDEN_ADMIN_TOKEN (or --token): the token is never taken from the outputs file for a URL from elsewhere',
      );
    }
  } else {
    const fromFile = await readOutputs(outputsFile, Boolean(flags.outputs));
    apiUrl = fromFile?.apiUrl;
    token = flags.token ?? env.WARDEN_ADMIN_TOKEN ?? fromFile?.token;
    from = {
      apiUrl: outputsFile,
      token: flags.token ? '--token' : env.WARDEN_ADMIN_TOKEN ? 'WARDEN_ADMIN_TOKEN' : outputsFile,
    };
  }
  if (!apiUrl) {
    throw new SettingsError(
      `No API URL: pass --api-url, set WARDEN_API_URL, or start the local stack (npm start writes ${outputsFile})`,
    );
  }
  let url: URL;
  try {
    url = new URL(apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new SettingsError(`The API URL ${JSON.stringify(apiUrl)} is not an http(s) URL`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new SettingsError(
      `Refusing to send the token over plain http to ${url.host} (from ${from.apiUrl}): use https, or http only to 127.0.0.1, localhost or [::1]`,
    );
  }
  if (!token) {
    throw new SettingsError(
      'No token: pass --token, set WARDEN_ADMIN_TOKEN (the admin token npm start prints, or a Cognito token in AWS)',
    );
  }
  return { apiUrl, token, from };
}
