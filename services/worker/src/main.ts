/**
 * The worker's entrypoint: the same one the ECS container runs and `npm start` spawns.
 *
 *   node services/worker/dist/main.js
 *
 * Configuration comes from the environment (see @warden/core loadWorkerConfig); a bad value or a
 * workflow module that does not load stops start-up with a message naming it.
 */
import { hostname } from 'node:os';
import {
  ConfigError,
  EventPublisher,
  createAwsClients,
  createEventTransport,
  createLogger,
  createRepositories,
  loadWorkerConfig,
  metricMode,
  type WorkerConfig,
} from '@warden/core';
import { SAMPLES_DIR } from '@warden/workflows';
import { WorkflowLoadError, describeCatalog, loadWorkflowCatalog } from './catalog.js';
import { TaskProtection, readEcsTask, type EcsTask } from './ecs.js';
import { WorkerMetrics } from './metrics.js';
import { withRetry } from './retry.js';
import { WorkerRuntime } from './worker.js';
import { WorkflowCredentials } from './workflow-credentials.js';

// Started by the local stack, which names itself in WARDEN_PARENT_PID and keeps an IPC channel
// open: if it dies, stop too. It can die before this module runs, when no 'disconnect' listener
// could hear it, so first check that it is still the parent.
const parentPid = Number(process.env.WARDEN_PARENT_PID) || undefined;
if (parentPid !== undefined && process.ppid !== parentPid) process.exit(0);
let onParentGone = (): void => process.exit(0); // nothing taken from the queue yet
if (process.channel) process.once('disconnect', () => onParentGone());

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let config: WorkerConfig;
try {
  config = loadWorkerConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger('worker', config.logLevel, { mainPid: process.pid });

let catalog;
try {
  catalog = await loadWorkflowCatalog(config.workflowsDir ?? SAMPLES_DIR);
} catch (error) {
  if (error instanceof WorkflowLoadError) fail(error.message);
  throw error;
}
logger.info(describeCatalog(catalog));

let ecsTask: EcsTask | undefined;
try {
  ecsTask = await withRetry('reading the ECS task metadata', () => readEcsTask(process.env), {
    logger,
    attempts: 5,
  });
} catch (error) {
  fail(`Could not read the ECS task metadata: ${(error as Error).message}`);
}
if (!ecsTask) {
  logger.info('not on ECS (no ECS_CONTAINER_METADATA_URI_V4): task scale-in protection is off');
}

const workerId =
  config.workerId ??
  ecsTask?.taskId ??
  `${hostname()
    .replace(/[^A-Za-z0-9._:-]/g, '-')
    .slice(0, 100)}-${process.pid}`;

const clients = createAwsClients({ region: config.region });
// Every execution record this worker writes carries its mode and version.
const repos = createRepositories(clients.dynamo, config.tables, undefined, {
  mode: metricMode(config.useThreadWorkers),
  version: config.version,
});
const publisher = new EventPublisher(
  createEventTransport(config, repos.connections, logger),
  logger,
);
const workflowCredentials = new WorkflowCredentials({
  roleArn: config.workflowRoleArn,
  fixed: config.workflowCredentials,
  // Loaded only when a workflow role is set: elsewhere it would be idle memory.
  sts: async () => new (await import('@aws-sdk/client-sts')).STSClient({ region: config.region }),
  sessionName: `warden-workflows-${workerId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64),
  logger: logger.child({ workerId }),
  onRefresh: () => runtime.executor.updateRunnerEnv(),
});
const runtime = new WorkerRuntime({
  workflowCredentials,
  config,
  workerId,
  catalog,
  sqs: clients.sqs,
  repos,
  publisher,
  metrics: new WorkerMetrics(metricMode(config.useThreadWorkers), workerId),
  logger: logger.child({ workerId }),
  ecsTask,
  // The ECS client is loaded only on ECS: elsewhere it would be idle memory.
  taskProtection: ecsTask
    ? new TaskProtection(
        new (await import('@aws-sdk/client-ecs')).ECSClient({ region: config.region }),
        ecsTask,
        logger,
      )
    : undefined,
});

const stop = (reason: string): void => {
  void runtime
    .shutdown(reason)
    .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
    .finally(() => {
      clients.destroy();
      process.exit(0);
    });
};
// `on`, not `once`: a second signal must not cut the drain short (ECS follows with SIGKILL anyway).
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
onParentGone = () => stop('parent process exited');
process.on('unhandledRejection', (error) => {
  logger.error({ err: error }, 'unhandled rejection (the worker keeps running)');
});

try {
  await runtime.start();
} catch (error) {
  logger.fatal({ err: error }, 'the worker failed to start');
  await runtime.executor.stop().catch(() => {});
  process.exit(1);
}
