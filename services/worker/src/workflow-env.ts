/**
 * What a workflow may see. Runners (process-mode children, pool processes and their threads) get
 * an allow-listed environment, never the worker's own: no WARDEN_* setting (the local admin
 * token is one) and not the worker's AWS credentials, whose role writes every Warden table. AWS
 * credentials for workflows come from a separate role (workflow-credentials.ts) or, against the
 * local emulators, from separate dummy keys.
 */
export interface RunnerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Always passed through when set. */
export const WORKFLOW_ENV_BASE = ['NODE_ENV', 'TZ', 'LANG', 'AWS_REGION'] as const;

/**
 * Where the AWS SDK sends calls: set only against emulators (npm start), and no secret; without
 * them a workflow using the SDK locally would call real AWS.
 */
const SDK_ROUTING =
  /^(AWS_ENDPOINT_URL(_[A-Z0-9_]+)?|AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED)$/;

export function workflowEnvironment(
  source: NodeJS.ProcessEnv,
  allow: readonly string[],
  credentials?: RunnerCredentials,
): Record<string, string> {
  const env: Record<string, string> = {};
  const names = new Set<string>([...WORKFLOW_ENV_BASE, ...allow]);
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (names.has(name) || SDK_ROUTING.test(name)) env[name] = value;
  }
  if (credentials) {
    env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
    // Lets the SDK in a long-lived runner re-read the variables before they expire.
    if (credentials.expiration) {
      env.AWS_CREDENTIAL_EXPIRATION = credentials.expiration.toISOString();
    }
  }
  return env;
}
