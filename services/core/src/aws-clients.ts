/**
 * Builds AWS SDK v3 clients. No client is given an explicit endpoint, so the SDK's own
 * `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SQS` and `AWS_ENDPOINT_URL_DYNAMODB` variables decide
 * where requests go (real AWS, LocalStack, or the embedded emulators). The exception is the
 * WebSocket management client, whose endpoint is the gateway's callback URL by design.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';

export interface AwsClientOptions {
  region: string;
  /** Attempts per call; the SDK backs off between them. */
  maxAttempts?: number;
}

export interface AwsClients {
  /** Document client (plain JS values) for repositories. */
  dynamo: DynamoDBDocumentClient;
  /** Low-level client for table administration. */
  dynamoRaw: DynamoDBClient;
  sqs: SQSClient;
  destroy(): void;
}

/** True when the environment points SQS at an emulator rather than AWS. */
function sqsEndpointOverridden(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
}

export function createAwsClients(options: AwsClientOptions, env = process.env): AwsClients {
  const common = { region: options.region, maxAttempts: options.maxAttempts ?? 4 };
  const raw = new DynamoDBClient(common);
  const dynamo = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  const sqs = new SQSClient({
    ...common,
    // Emulators hand out queue URLs on hosts that may not resolve (sqs.<region>.localhost);
    // with an endpoint override, send every call to that endpoint instead of the URL's host.
    useQueueUrlAsEndpoint: !sqsEndpointOverridden(env),
  });
  return {
    dynamo,
    dynamoRaw: raw,
    sqs,
    destroy() {
      dynamo.destroy();
      raw.destroy();
      sqs.destroy();
    },
  };
}

export function createManagementClient(
  region: string,
  callbackUrl: string,
): ApiGatewayManagementApiClient {
  // Events go out one frame at a time, so a post that hangs must not hold up the next ones.
  return new ApiGatewayManagementApiClient({
    region,
    endpoint: callbackUrl,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  });
}
