/**
 * A runner's environment is whatever the orchestrator gave it at fork (see workflow-env.ts), and
 * the orchestrator replaces it whole when the workflow credentials are refreshed. A workflow
 * that cached a value keeps it; the AWS SDK re-reads the variables once AWS_CREDENTIAL_EXPIRATION
 * is near, so clients made before a refresh pick the new credentials up.
 */
export function replaceEnv(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
}
