/** Settings of the local stack itself (`npm start`), validated like every other setting. */
import { resolve } from 'node:path';
import { EnvReader, envParsers, loadSharedConfig, type LogLevel } from '@warden/core';

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

export function loadLocalSettings(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const shared = loadSharedConfig(env);
  const reader = new EnvReader(env);
  const home = resolve(env.WARDEN_HOME || '.warden');
  const sqs = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL;
  const dynamodb = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  if (Boolean(sqs) !== Boolean(dynamodb)) {
    reader.problems.push(
      'AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_DYNAMODB must be set together (or AWS_ENDPOINT_URL for both)',
    );
  }
  const persist = reader.get('WARDEN_PERSIST', envParsers.boolean, false);
  const dataDir = env.WARDEN_DATA_DIR
    ? resolve(env.WARDEN_DATA_DIR)
    : persist
      ? resolve(home, 'dynamodb')
      : undefined;
  // 0 picks a free port.
  const port = envParsers.integer(0, 65535);
  const settings: LocalSettings = {
    home,
    region: shared.region,
    logLevel: shared.logLevel,
    tablePrefix: shared.tablePrefix,
    externalEndpoints: sqs && dynamodb ? { sqs, dynamodb } : undefined,
    dataDir,
    dynamoPort: reader.get('WARDEN_DYNAMODB_PORT', port, 0),
    sqsPort: reader.get('WARDEN_SQS_PORT', port, 0),
  };
  reader.done();
  return settings;
}
