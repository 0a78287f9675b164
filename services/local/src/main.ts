/**
 * `npm start`: the whole of Warden on one machine, no AWS account and no Docker. Starts the
 * embedded emulators (unless AWS_ENDPOINT_URL* points elsewhere), creates the tables and queues,
 * then the control plane, the worker(s) and the admin app; writes $WARDEN_HOME/outputs.json and
 * stops everything on Ctrl-C or SIGTERM.
 */
import { resolve } from 'node:path';
import {
  ConfigError,
  checkWorkerSettings,
  createAwsClients,
  createLogger,
  ensureQueues,
  ensureTables,
  loadSharedConfig,
} from '@warden/core';
import type { Component, LocalContext } from './component.js';
import { startEmulators, type Emulators } from './emulators.js';
import { loadLocalSettings } from './settings.js';
import { writeOutputs, type LocalOutputs } from './outputs.js';
import { startControlPlane } from './control-plane.js';
import { startWorkers } from './workers.js';
import { adminUiOrigin, startAdminUi } from './admin-ui.js';
import { workerEnvironment } from './worker-environment.js';

async function main(): Promise<void> {
  let settings: ReturnType<typeof loadLocalSettings>;
  try {
    settings = loadLocalSettings();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger('local', settings.logLevel);
  const components: Component[] = [];
  let emulators: Emulators | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (reason: string): Promise<void> =>
    (stopping ??= (async () => {
      logger.info({ reason }, 'stopping the local stack');
      // Reverse start order: workers drain before the backend they write to goes away.
      for (const component of [...components].reverse()) {
        try {
          await component.stop();
        } catch (error) {
          logger.error({ err: error, component: component.name }, 'component did not stop cleanly');
        }
      }
      await emulators?.stop();
      logger.info('stopped');
    })());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop(signal).then(() => process.exit(0));
    });
  }

  try {
    // Refuse a bad worker setting before anything starts (the workers would only fail later).
    checkWorkerSettings(process.env);
    let endpoints = settings.externalEndpoints;
    if (!endpoints) {
      emulators = await startEmulators({
        dynamoPort: settings.dynamoPort,
        sqsPort: settings.sqsPort,
        dataDir: settings.dataDir,
      });
      endpoints = { sqs: emulators.sqs.url, dynamodb: emulators.dynamodb.url };
    }
    const env: Record<string, string> = {
      AWS_REGION: settings.region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      WARDEN_TABLE_PREFIX: settings.tablePrefix,
      // This process has already shown the SDK's Node-version notice once; spare every child.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    Object.assign(process.env, env);
    const config = loadSharedConfig(process.env);
    const clients = createAwsClients({ region: config.region });
    const report = await ensureTables(clients.dynamoRaw, config.tables);
    const queues = await ensureQueues(clients.sqs, config.tablePrefix);
    clients.destroy();
    env.WARDEN_QUEUE_URL = queues.queueUrl;
    env.WARDEN_DLQ_URL = queues.deadLetterQueueUrl;
    Object.assign(process.env, env);

    const outputs: LocalOutputs = {
      Region: config.region,
      QueueUrl: queues.queueUrl,
      DeadLetterQueueUrl: queues.deadLetterQueueUrl,
      AwsEndpoints: endpoints,
      Tables: config.tables,
    };
    // The API's CORS rule must name the admin app's origin, and the API starts first.
    env.WARDEN_CORS_ORIGIN = process.env.WARDEN_CORS_ORIGIN ?? adminUiOrigin(process.env);
    const context: LocalContext = { config, env, outputs, home: settings.home, logger };

    for (const start of [startControlPlane, startWorkers, startAdminUi]) {
      const component = await start(context);
      if (!component) continue;
      components.push(component);
      Object.assign(outputs, component.outputs);
    }

    // Complete once the control plane has named the events endpoint.
    outputs.WorkerEnvironment = workerEnvironment(env, config);
    const outputsFile = resolve(settings.home, 'outputs.json');
    await writeOutputs(outputsFile, outputs);
    const lines = [
      'Warden is running locally.',
      `  DynamoDB   ${endpoints.dynamodb}${emulators ? ' (embedded dynalite)' : ' (external)'}${settings.dataDir ? `, data in ${settings.dataDir}` : ''}`,
      `  SQS        ${endpoints.sqs}${emulators ? ' (embedded fauxqs)' : ' (external)'}`,
      `  Queue      ${queues.queueUrl}`,
      `  DLQ        ${queues.deadLetterQueueUrl}`,
      `  Tables     ${Object.values(config.tables).join(', ')}${report.created.length ? ` (${report.created.length} created)` : ' (existing)'}`,
      ...components.flatMap((component) => component.banner),
      `  Outputs    ${outputsFile}`,
      'Press Ctrl-C to stop.',
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error({ err: error }, 'the local stack failed to start');
    }
    await stop('start-up failed');
    process.exit(1);
  }
}

void main();
