/** Request validation with zod: a failure becomes a 400 naming the field and what is accepted. */
import type { Context } from 'hono';
import { z } from 'zod';
import { badRequest } from './errors.js';

function fieldOf(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys' && issue.keys.length) return issue.keys[0];
  return issue.path.length ? issue.path.map(String).join('.') : undefined;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `${issue.keys.map((key) => `"${key}"`).join(', ')} ${issue.keys.length > 1 ? 'are' : 'is'} not accepted here`;
  }
  const field = fieldOf(issue);
  return field ? `${field}: ${issue.message}` : issue.message;
}

/** Parses `value` with `schema`, or throws a 400 naming every problem and the first field. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0];
  throw badRequest(
    `Invalid ${what}: ${issues.map(describe).join('; ')}`,
    first ? fieldOf(first) : undefined,
  );
}

/**
 * Reads a JSON body; a malformed body is a 400, not a crash. An empty body is a 400 too, unless
 * `emptyAs` says what it stands for.
 */
export async function jsonBody(c: Context, emptyAs?: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) {
    if (emptyAs !== undefined) return emptyAs;
    throw badRequest('The request body is empty: send a JSON object');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(
      `The request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

export const validateBody = async <S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> => validate(schema, await jsonBody(c), 'request body');

export const validateQuery = <S extends z.ZodType>(c: Context, schema: S): z.output<S> =>
  validate(schema, c.req.query(), 'query');

/** Validates one path parameter; a failure names it as the field. */
export function validateParam<S extends z.ZodType>(
  name: string,
  schema: S,
  value: string,
): z.output<S> {
  const parsed = validate(z.object({ [name]: schema }), { [name]: value }, 'path') as Record<
    string,
    z.output<S>
  >;
  return parsed[name] as z.output<S>;
}
