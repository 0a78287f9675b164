/**
 * Live events for the admin app: an API Gateway WebSocket API whose `$connect` route is guarded
 * by a Lambda REQUEST authorizer reading the `token` query parameter (browsers cannot set headers
 * on a WebSocket), the `$connect` / `$disconnect` / `$default` handlers, and the stage whose
 * callback (management) URL the publishers post events to.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { WardenFunction } from './warden-function.js';
import { accessLogFormat } from './access-log-format.js';
import type { HandlerEntry } from '../paths.js';

export interface LiveEventsProps {
  handlers: {
    authorizer: HandlerEntry;
    connect: HandlerEntry;
    disconnect: HandlerEntry;
    default: HandlerEntry;
  };
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  stageName?: string;
}

export const TOKEN_QUERY_PARAMETER = 'token';

export class LiveEvents extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly authorizer: WardenFunction;
  readonly connect: WardenFunction;
  readonly disconnect: WardenFunction;
  readonly default: WardenFunction;

  constructor(scope: Construct, id: string, props: LiveEventsProps) {
    super(scope, id);
    const fn = (name: string, source: HandlerEntry, description: string) =>
      new WardenFunction(this, name, {
        source,
        description,
        environment: props.environment,
        logRetention: props.logRetention,
        timeout: Duration.seconds(10),
        memorySize: 256,
      });
    this.authorizer = fn(
      'Authorizer',
      props.handlers.authorizer,
      'Checks the token of a WebSocket connection',
    );
    this.connect = fn('Connect', props.handlers.connect, 'Records a new WebSocket connection');
    this.disconnect = fn(
      'Disconnect',
      props.handlers.disconnect,
      'Forgets a closed WebSocket connection',
    );
    this.default = fn('Message', props.handlers.default, 'Answers WebSocket messages (ping)');

    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      description: 'Warden live events for the admin app',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', this.connect.fn),
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', this.authorizer.fn, {
          identitySource: [`route.request.querystring.${TOKEN_QUERY_PARAMETER}`],
        }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', this.disconnect.fn),
      },
      defaultRouteOptions: {
        integration: new WebSocketLambdaIntegration('DefaultIntegration', this.default.fn),
        returnResponse: true,
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName ?? 'live',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: accessLogFormat(),
      },
    });

    for (const route of ['$disconnect', '$default']) {
      const child = this.api.node.tryFindChild(`${route}-Route`);
      if (child)
        acknowledge(child, {
          id: 'AwsSolutions-APIG4',
          reason: `API Gateway authorizes a WebSocket only at $connect; ${route} runs on a connection that already passed the token authorizer.`,
        });
    }
  }

  /** wss:// URL the admin app connects to (append `?token=<jwt>`). */
  get url(): string {
    return this.stage.url;
  }

  /** https:// management URL publishers post to (WARDEN_EVENTS_ENDPOINT). */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /**
   * execute-api:ManageConnections for connections of this stage only: the publisher sends
   * `POST @connections/{id}` (an event) and `DELETE @connections/{id}` (a connection whose token
   * expired), nothing else; CDK's stage grant would allow any method.
   */
  grantPostToConnections(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:ManageConnections'],
      resourceArns: ['POST', 'DELETE'].map((method) =>
        Stack.of(this).formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: `${this.stage.stageName}/${method}/@connections/*`,
        }),
      ),
    });
  }
}
