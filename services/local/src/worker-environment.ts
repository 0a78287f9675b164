/**
 * What a worker started elsewhere (a container, another machine) needs to join this stack: the
 * backend's endpoints and the emulators' credentials, region, table names, queue URLs and the
 * events endpoint. Written to outputs.json as `WorkerEnvironment`, so
 * `env $(jq -r '.WardenLocal.WorkerEnvironment | to_entries[] | "\(.key)=\(.value)"' ...)` or a
 * container's `--env` flags reproduce exactly what `npm start`'s own workers get.
 */
import { TABLE_NAMES, tableEnvVar, type SharedConfig } from '@warden/core';

/** The variables, in the order they are written. */
const PASSED_THROUGH = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'WARDEN_TABLE_PREFIX',
  'WARDEN_QUEUE_URL',
  'WARDEN_DLQ_URL',
  'WARDEN_EVENTS_ENDPOINT',
] as const;

export function workerEnvironment(
  env: Record<string, string>,
  config: SharedConfig,
): Record<string, string> {
  const result: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of PASSED_THROUGH) {
    const value = env[name];
    if (value === undefined || value === '') missing.push(name);
    else result[name] = value;
  }
  if (missing.length) {
    throw new Error(`cannot describe the worker environment: ${missing.join(', ')} not set`);
  }
  // Explicit table names: a worker with another WARDEN_TABLE_PREFIX default still finds them.
  for (const table of TABLE_NAMES) result[tableEnvVar(table)] = config.tables[table];
  return result;
}
