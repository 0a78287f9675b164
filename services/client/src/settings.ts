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

export async function resolveClientSettings(
  flags: SettingsFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<ClientSettings> {
  const outputsFile = flags.outputs
    ? resolve(cwd, flags.outputs)
    : join(env.WARDEN_HOME ? resolve(cwd, env.WARDEN_HOME) : join(cwd, '.warden'), 'outputs.json');
  const fromFile =
    flags.apiUrl && flags.token
      ? undefined
      : await readOutputs(outputsFile, Boolean(flags.outputs));

  const apiUrl = flags.apiUrl ?? env.WARDEN_API_URL ?? fromFile?.apiUrl;
  const token = flags.token ?? env.WARDEN_ADMIN_TOKEN ?? fromFile?.token;
  if (!apiUrl) {
    throw new SettingsError(
      `No API URL: pass --api-url, set WARDEN_API_URL, or start the local stack (npm start writes ${outputsFile})`,
    );
  }
  try {
    const url = new URL(apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new SettingsError(`The API URL ${JSON.stringify(apiUrl)} is not an http(s) URL`);
  }
  if (!token) {
    throw new SettingsError(
      'No token: pass --token, set WARDEN_ADMIN_TOKEN (the admin token npm start prints, or a Cognito token in AWS)',
    );
  }
  return {
    apiUrl,
    token,
    from: {
      apiUrl: flags.apiUrl ? '--api-url' : env.WARDEN_API_URL ? 'WARDEN_API_URL' : outputsFile,
      token: flags.token ? '--token' : env.WARDEN_ADMIN_TOKEN ? 'WARDEN_ADMIN_TOKEN' : outputsFile,
    },
  };
}
