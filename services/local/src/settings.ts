/** Settings of the local stack itself (`npm start`), validated like every other setting. */
import { resolve } from 'node:path';
import { ConfigError, loadSharedConfig, type LogLevel } from '@warden/core';

export interface LocalSettings {
  home: string;
  region: string;
  logLevel: LogLevel;
  tablePrefix: string;
  /** Set when AWS_ENDPOINT_URL* points at an emulator started elsewhere (LocalStack, say). */
  externalEndpoints?: { sqs: string; dynamodb: string };
  dataDir?: string;
  dynamoPort: number;
  sqsPort: number;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    problems.push(
      `${name}=${JSON.stringify(raw)} is not valid: expected a port from 0 to 65535 (0 picks a free one)`,
    );
  }
  return value;
}

export function loadLocalSettings(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const shared = loadSharedConfig(env);
  const problems: string[] = [];
  const home = resolve(env.WARDEN_HOME || '.warden');
  const sqs = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL;
  const dynamodb = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  if (Boolean(sqs) !== Boolean(dynamodb)) {
    problems.push(
      'AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_DYNAMODB must be set together (or AWS_ENDPOINT_URL for both)',
    );
  }
  const persist = env.WARDEN_PERSIST;
  if (persist !== undefined && !['true', 'false', '1', '0', ''].includes(persist)) {
    problems.push(
      `WARDEN_PERSIST=${JSON.stringify(persist)} is not valid: expected "true" or "false"`,
    );
  }
  const dataDir = env.WARDEN_DATA_DIR
    ? resolve(env.WARDEN_DATA_DIR)
    : persist === 'true' || persist === '1'
      ? resolve(home, 'dynamodb')
      : undefined;
  const settings: LocalSettings = {
    home,
    region: shared.region,
    logLevel: shared.logLevel,
    tablePrefix: shared.tablePrefix,
    externalEndpoints: sqs && dynamodb ? { sqs, dynamodb } : undefined,
    dataDir,
    dynamoPort: port(env, 'WARDEN_DYNAMODB_PORT', 0, problems),
    sqsPort: port(env, 'WARDEN_SQS_PORT', 0, problems),
  };
  if (problems.length) throw new ConfigError(problems);
  return settings;
}
