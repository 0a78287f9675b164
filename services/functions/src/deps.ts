/**
 * Everything a control-plane handler needs, built once per process (once per Lambda container,
 * once for the local stack) from the validated configuration. Tests and the local stack replace
 * the parts that differ outside AWS (the worker stopper) through `overrides`.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  EventPublisher,
  createAwsClients,
  createEventTransport,
  createLogger,
  createRepositories,
  systemClock,
  type Clock,
  type ControlPlaneConfig,
  type Logger,
  type Repositories,
} from '@warden/core';
import { createAuthenticator, type Authenticator } from './auth.js';
import { LogNotifier, SnsNotifier, type Notifier } from './notifier.js';
import { EcsWorkerStopper, StopRefusedError, type WorkerStopper } from './worker-stopper.js';

export interface ControlPlaneDeps {
  config: ControlPlaneConfig;
  repos: Repositories;
  sqs: SQSClient;
  publisher: EventPublisher;
  authenticator: Authenticator;
  stopper: WorkerStopper;
  notifier: Notifier;
  logger: Logger;
  clock: Clock;
  /** Releases sockets held by the AWS clients. */
  destroy(): void;
}

export type DepsOverrides = Partial<
  Pick<ControlPlaneDeps, 'authenticator' | 'stopper' | 'notifier' | 'logger' | 'clock'>
>;

/** Without ECS (no cluster configured, no task ARNs) there is nothing to stop. */
const noStopper: WorkerStopper = {
  stop: async (worker) => {
    throw new StopRefusedError(
      `No way to stop worker ${worker.workerId} is configured here (no ECS cluster, no local stack)`,
    );
  },
};

export function createControlPlaneDeps(
  config: ControlPlaneConfig,
  component: string,
  overrides: DepsOverrides = {},
): ControlPlaneDeps {
  const logger = overrides.logger ?? createLogger(component, config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const clients = createAwsClients({ region: config.region });
  const repos = createRepositories(clients.dynamo, config.tables, clock);
  const transport = createEventTransport(config, repos.connections, logger);
  const lazyClients: { destroy(): void }[] = [];
  const track = <T extends { destroy(): void }>(client: T): T => {
    lazyClients.push(client);
    return client;
  };
  return {
    config,
    repos,
    sqs: clients.sqs,
    publisher: new EventPublisher(transport, logger),
    authenticator: overrides.authenticator ?? createAuthenticator(config),
    stopper:
      overrides.stopper ??
      (config.ecsClusterArn || config.authMode === 'cognito'
        ? new EcsWorkerStopper(
            track(new ECSClient({ region: config.region })),
            config.ecsClusterArn,
          )
        : noStopper),
    notifier:
      overrides.notifier ??
      (config.alertTopicArn
        ? new SnsNotifier(track(new SNSClient({ region: config.region })), config.alertTopicArn)
        : new LogNotifier(logger)),
    logger,
    clock,
    destroy() {
      clients.destroy();
      for (const client of lazyClients) client.destroy();
    },
  };
}
