/**
 * The outputs file: what runs where, shaped like `cdk deploy --outputs-file` (a map of stack name
 * to outputs) so scripts and tests read local and AWS deployments the same way.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TableName } from '@warden/core';

export const LOCAL_STACK_NAME = 'WardenLocal';

export interface LocalOutputs {
  Region: string;
  QueueUrl: string;
  DeadLetterQueueUrl: string;
  AwsEndpoints: { sqs: string; dynamodb: string };
  Tables: Record<TableName, string>;
  ApiUrl?: string;
  WebSocketUrl?: string;
  AdminUrl?: string;
  AdminToken?: string;
  ViewerToken?: string;
  Workers?: { workerId: string; pid: number; mode: string }[];
  /** The exact environment a worker started elsewhere needs to join this stack. */
  WorkerEnvironment?: Record<string, string>;
}

export async function writeOutputs(path: string, outputs: LocalOutputs): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ [LOCAL_STACK_NAME]: outputs }, null, 2)}\n`, {
    mode: 0o600,
  });
}

export async function readOutputs(path: string): Promise<LocalOutputs> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, LocalOutputs>;
  const outputs = parsed[LOCAL_STACK_NAME];
  if (!outputs) throw new Error(`${path} has no ${LOCAL_STACK_NAME} outputs`);
  return outputs;
}
