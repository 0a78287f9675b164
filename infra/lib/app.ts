/**
 * Builds the Warden app: the stateful stack and the runtime stack that uses it, named from the
 * deployment prefix. Shared by the CDK entry point (`bin/warden.ts`) and the infra tests.
 */
import type { App, Environment } from 'aws-cdk-lib';
import { RuntimeStack, type RuntimeStackProps } from './runtime-stack.js';
import { readSettings, type DeploySettings } from './settings.js';
import { StatefulStack } from './stateful-stack.js';

export interface WardenStacks {
  settings: DeploySettings;
  stateful: StatefulStack;
  runtime: RuntimeStack;
}

export interface BuildOptions extends Pick<RuntimeStackProps, 'handlers' | 'adminDistDir'> {
  env?: Environment;
}

export function buildWardenApp(app: App, options: BuildOptions = {}): WardenStacks {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const env = options.env ?? {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  };
  const stateful = new StatefulStack(app, `${settings.prefix}-stateful`, {
    prefix: settings.prefix,
    adminGroup: settings.adminGroup,
    viewerGroup: settings.viewerGroup,
    env,
    description:
      'Warden data: DynamoDB tables, work queue and dead-letter queue, admin user pool (retained)',
  });
  const runtime = new RuntimeStack(app, `${settings.prefix}-runtime`, {
    settings,
    adminUsers: stateful.adminUsers,
    env,
    handlers: options.handlers,
    adminDistDir: options.adminDistDir,
    description: 'Warden runtime: ECS workers, control-plane Lambdas, APIs, admin app, alarms',
  });
  // No exports tie the stacks together (the runtime finds the data by name), so say the order.
  runtime.addStackDependency(stateful);
  return { settings, stateful, runtime };
}
