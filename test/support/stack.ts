/**
 * Gives a test file its own AWS backend: fresh embedded emulators on ephemeral ports, or, when
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB are set (LocalStack, say),
 * those endpoints with a table and queue prefix unique to the run so suites never collide.
 */
import { randomBytes } from 'node:crypto';
import {
  createAwsClients,
  createRepositories,
  ensureQueues,
  ensureTables,
  loadSharedConfig,
  type AwsClients,
  type Repositories,
  type TableName,
} from '@warden/core';
import { startEmulators, type Emulators } from '@warden/local/emulators';

export interface TestStack {
  /** Environment for child processes (workers, API) so they reach the same backend. */
  env: Record<string, string>;
  clients: AwsClients;
  repos: Repositories;
  tables: Record<TableName, string>;
  queueUrl: string;
  deadLetterQueueUrl: string;
  endpoints: { sqs: string; dynamodb: string };
  /** Present only when the stack runs its own emulators. */
  emulators?: Emulators;
  stop(): Promise<void>;
}

export function externalEndpoints(
  env = process.env,
): { sqs: string; dynamodb: string } | undefined {
  const sqs = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL;
  const dynamodb = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  return sqs && dynamodb ? { sqs, dynamodb } : undefined;
}

export async function startTestStack(): Promise<TestStack> {
  const external = externalEndpoints();
  const emulators = external ? undefined : await startEmulators();
  const endpoints = external ?? { sqs: emulators!.sqs.url, dynamodb: emulators!.dynamodb.url };
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    WARDEN_TABLE_PREFIX: prefix,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // This test file's own process talks to the same backend as its children.
  Object.assign(process.env, env);
  const shared = loadSharedConfig(env);
  const clients = createAwsClients({ region: shared.region });
  await ensureTables(clients.dynamoRaw, shared.tables);
  const queues = await ensureQueues(clients.sqs, prefix);
  env.WARDEN_QUEUE_URL = queues.queueUrl;
  env.WARDEN_DLQ_URL = queues.deadLetterQueueUrl;
  process.env.WARDEN_QUEUE_URL = queues.queueUrl;
  process.env.WARDEN_DLQ_URL = queues.deadLetterQueueUrl;
  return {
    env,
    clients,
    repos: createRepositories(clients.dynamo, shared.tables),
    tables: shared.tables,
    queueUrl: queues.queueUrl,
    deadLetterQueueUrl: queues.deadLetterQueueUrl,
    endpoints,
    emulators,
    async stop() {
      clients.destroy();
      await emulators?.stop();
    },
  };
}
