/**
 * Lambda entry point of the admin API (API Gateway HTTP API, payload format 2.0). The app is
 * built once per container; the same app runs on Node in the local stack.
 * (`hono/aws-lambda` is marked for removal in Hono 5 in favour of `@hono/aws-lambda`, which is
 * not published yet: move when it is.)
 */
import {
  handle,
  type APIGatewayProxyResult,
  type LambdaContext,
  type LambdaEvent,
} from 'hono/aws-lambda';
import { createAdminApp } from '../http/app.js';
import { lambdaDeps } from './runtime.js';

let handleEvent: ReturnType<typeof handle> | undefined;

export const handler = (
  event: LambdaEvent,
  context?: LambdaContext,
): Promise<APIGatewayProxyResult> => {
  handleEvent ??= handle(createAdminApp(lambdaDeps('admin-api')));
  return handleEvent(event, context);
};
