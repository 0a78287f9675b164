/**
 * The zod schemas of the domain, for the control plane and the producer client. Kept out of the
 * package's main entry so that a process that only needs the types and the hand-written checks
 * (the worker's orchestrator) does not load zod.
 */
import { z } from 'zod';
import {
  ID_PATTERN,
  INPUT_DEPTH_RULE,
  MAX_INPUT_DEPTH,
  MAX_TIMEOUT_SECONDS,
  jsonDepth,
  type SystemConfig,
  type WorkMessage,
} from './domain.js';

export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1-128 characters of letters, digits, ".", "_", ":" or "-"');

/** `input` of a work message: any JSON, at most MAX_INPUT_DEPTH levels deep. */
const inputSchema = z.unknown().superRefine((value, ctx) => {
  if (jsonDepth(value, MAX_INPUT_DEPTH) > MAX_INPUT_DEPTH) {
    ctx.addIssue({ code: 'custom', message: INPUT_DEPTH_RULE });
  }
});

/** The body of an SQS work message, as upstream services send it. */
export const workMessageSchema = z
  .object({
    executionId: idSchema.optional(),
    workflowId: idSchema,
    input: inputSchema.optional(),
    timeoutSeconds: z.number().positive().max(MAX_TIMEOUT_SECONDS).optional(),
    /** Set by the worker on a message it sends again (see WorkMessage). */
    attempt: z.number().int().min(1).max(1000).optional(),
    notBefore: z.number().int().positive().optional(),
  })
  .strict();

export const systemConfigSchema = z
  .object({
    stuck_circuit_breaker_threshold: z.number().int().min(1).max(1000),
    stuck_circuit_breaker_window_minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
  })
  .strict();

// The hand-written types in domain.ts must stay what the schemas accept.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameWorkMessage: Same<z.infer<typeof workMessageSchema>, WorkMessage> = true;
const _sameSystemConfig: Same<z.infer<typeof systemConfigSchema>, SystemConfig> = true;
void _sameWorkMessage;
void _sameSystemConfig;

/** Describes a zod failure as "field: problem; field: problem" so a person can act on it. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
