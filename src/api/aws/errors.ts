// Errors of the AWS-compatible endpoint: protocol errors raised while reading a request, and the
// reduction of any error thrown below (control plane, log store) to the code and message AWS
// clients see.

import { VpcflowError } from '../../platform/errors.ts';

/** A request refused by the endpoint itself, with the AWS error code and HTTP status to answer. */
export class AwsProtocolError extends VpcflowError {}

export interface AwsErrorShape {
  code: string;
  message: string;
  httpStatus: number;
  /** True when the cause is ours, not the caller's (answered without internal detail). */
  internal: boolean;
}

/**
 * Errors that carry an AWS-style `code` (ApiError, VpcflowError, LogStoreError, ValidationError,
 * AwsProtocolError) keep it; Node's own `ERR_*` codes and everything else are internal failures.
 */
export function toAwsError(e: unknown, internalCode: string): AwsErrorShape {
  const candidate = e as { code?: unknown; message?: unknown; httpStatus?: unknown } | null;
  if (candidate && typeof candidate.code === 'string' && /^[A-Za-z][A-Za-z0-9.]*$/.test(candidate.code) && !candidate.code.startsWith('ERR_')) {
    const status = typeof candidate.httpStatus === 'number' && candidate.httpStatus >= 400 && candidate.httpStatus < 600 ? candidate.httpStatus : 400;
    if (status < 500) return { code: candidate.code, message: String(candidate.message ?? ''), httpStatus: status, internal: false };
  }
  return { code: internalCode, message: 'The request processing has failed because of an unknown error, exception or failure.', httpStatus: 500, internal: true };
}
