/** One JSON access-log line per request, for both API Gateway APIs. */
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

export const accessLogFormat = (): AccessLogFormat =>
  AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      status: '$context.status',
      connectionId: '$context.connectionId',
      eventType: '$context.eventType',
      error: '$context.error.message',
      authorizerError: '$context.authorizer.error',
      integrationError: '$context.integrationErrorMessage',
    }),
  );
