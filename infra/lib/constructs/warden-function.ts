/**
 * One Lambda function the way Warden wants them all: Node 24 on arm64, bundled from the
 * TypeScript source with the local esbuild (never Docker), ESM output, source maps, its own log
 * group with a retention, and its own role that starts with nothing but writing its logs —
 * callers grant exactly what the handler's code does.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOCK_FILE, REPO_ROOT, type HandlerEntry } from '../paths.js';

export interface WardenFunctionProps {
  /** The handler's TypeScript entry file and exported function. */
  source: HandlerEntry;
  description: string;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  timeout?: Duration;
  memorySize?: number;
}

// ESM bundles still meet CommonJS code that calls require() for Node built-ins.
const REQUIRE_SHIM =
  "import { createRequire as __wardenCreateRequire } from 'node:module'; const require = __wardenCreateRequire(import.meta.url);";

export class WardenFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WardenFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.source.entry,
      handler: props.source.handler,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      environment: props.environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        // Ship the SDK versions the lock file pins (and the tests ran), not the runtime's.
        bundleAwsSDK: true,
        externalModules: [],
      },
    });
  }
}
