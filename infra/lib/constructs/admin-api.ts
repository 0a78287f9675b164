/**
 * The admin HTTP API: an API Gateway HTTP API whose every route under `/api` needs a Cognito JWT
 * (the authorizer checks issuer, audience and expiry; the handler then checks the admin group),
 * proxied to the admin handler (one Hono app). CORS admits only the admin app's origin.
 */
import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accessLogFormat } from './access-log-format.js';
import { WardenFunction } from './warden-function.js';
import type { HandlerEntry } from '../paths.js';

export interface AdminApiProps {
  handler: HandlerEntry;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  userPool: cognito.IUserPool;
  client: cognito.IUserPoolClient;
  allowedOrigins: string[];
}

export const ADMIN_ROUTE_METHODS = [
  apigwv2.HttpMethod.GET,
  apigwv2.HttpMethod.POST,
  apigwv2.HttpMethod.PUT,
  apigwv2.HttpMethod.DELETE,
];

export class AdminApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly handler: WardenFunction;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    this.handler = new WardenFunction(this, 'Handler', {
      source: props.handler,
      description: 'Admin HTTP API (workers, queue, blacklist, config, executions)',
      environment: props.environment,
      logRetention: props.logRetention,
      // API Gateway gives an HTTP integration at most 30 s.
      timeout: Duration.seconds(29),
      memorySize: 512,
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Warden admin API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [
          apigwv2.CorsHttpMethod.GET,
          apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.DELETE,
          apigwv2.CorsHttpMethod.OPTIONS,
        ],
        allowHeaders: ['authorization', 'content-type', 'x-request-id'],
        exposeHeaders: ['location', 'x-request-id'],
        maxAge: Duration.hours(1),
      },
    });
    const authorizer = new HttpUserPoolAuthorizer('CognitoJwt', props.userPool, {
      userPoolClients: [props.client],
    });
    // Explicit methods, not ANY: CORS preflight (OPTIONS) must reach API Gateway's own CORS
    // answer without a token.
    this.api.addRoutes({
      path: '/api/{proxy+}',
      methods: ADMIN_ROUTE_METHODS,
      integration: new HttpLambdaIntegration('Admin', this.handler.fn),
      authorizer,
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: accessLogFormat(),
      },
    });
  }

  /** Base URL; routes are `${url}api/...`. */
  get url(): string {
    return this.stage.url;
  }
}
