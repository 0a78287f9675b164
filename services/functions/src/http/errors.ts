/**
 * Errors the admin API answers with. Every non-2xx response is `{ error: { code, message,
 * field? } }`: a stable code for programs, a message a person can act on, and the field at fault.
 */
import type { ApiErrorBody, ApiErrorCode } from '@warden/core';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field ? { field: this.field } : {}),
      },
    };
  }
}

export const badRequest = (message: string, field?: string): ApiError =>
  new ApiError(400, 'VALIDATION_FAILED', message, field);

export const notFound = (code: ApiErrorCode, message: string): ApiError =>
  new ApiError(404, code, message);

export const conflict = (code: ApiErrorCode, message: string, field?: string): ApiError =>
  new ApiError(409, code, message, field);
