import { AxiosError, isCancel } from 'axios';
import type { components } from '@/api/schema.gen';

type Schemas = components['schemas'];
export type ServerErrorCode = Schemas['ErrorCode'];
export type FieldError = Schemas['FieldError'];
export type ErrorResponse = Schemas['ErrorResponse'];
export type ErrorDetails = NonNullable<ErrorResponse['error']['details']>;

/** Failures detected in the browser, with no error body from the server to describe them. */
export type ClientErrorCode =
  | 'network_error' // no response at all (server down, DNS, CORS, connection reset)
  | 'timeout' // no response within the client's timeout
  | 'unexpected_response' // a response that is not in the ErrorResponse shape (e.g. a proxy's HTML page)
  | 'unexpected'; // anything else thrown while making the request

export type ApiErrorCode = ServerErrorCode | ClientErrorCode;

/** The one error type the API layer rejects with. `status` is 0 when no response arrived. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: ErrorDetails | undefined;
  readonly requestId: string | undefined;

  constructor(init: {
    status: number;
    code: ApiErrorCode;
    message: string;
    details?: ErrorDetails | undefined;
    requestId?: string | undefined;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
  }

  /** True for failures that never got an answer from the server (worth retrying). */
  get isNetworkFailure(): boolean {
    return this.code === 'network_error' || this.code === 'timeout';
  }

  /** Per-field messages of a `validation_failed` error; empty otherwise. */
  get fieldErrors(): FieldError[] {
    return this.details?.fields ?? [];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the `{ error: { code, message, details?, request_id? } }` shape of api/openapi.yaml. */
export function parseErrorResponse(body: unknown): ErrorResponse['error'] | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!isRecord(value) || !isRecord(value.error)) {
    return undefined;
  }
  const { code, message, details, request_id: requestId } = value.error;
  if (typeof code !== 'string' || typeof message !== 'string') {
    return undefined;
  }
  if (details !== undefined && !isRecord(details)) {
    return undefined;
  }
  if (requestId !== undefined && typeof requestId !== 'string') {
    return undefined;
  }
  return {
    // The server only sends codes of the ErrorCode enum; an unknown one still travels as-is.
    code: code as ServerErrorCode,
    message,
    ...(details !== undefined && { details: details as ErrorDetails }),
    ...(requestId !== undefined && { request_id: requestId }),
  };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) {
    return undefined;
  }
  const getter = headers.get;
  const value = typeof getter === 'function' ? (getter as (n: string) => unknown).call(headers, name) : headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Turns whatever a request threw into an ApiError. Cancellations are returned unchanged. */
export function toApiError(error: unknown): unknown {
  if (error instanceof ApiError || isCancel(error)) {
    return error;
  }
  if (!(error instanceof AxiosError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ApiError({ status: 0, code: 'unexpected', message, cause: error });
  }
  const response = error.response;
  if (response === undefined) {
    const timedOut = error.code === AxiosError.ECONNABORTED || error.code === AxiosError.ETIMEDOUT;
    return new ApiError({
      status: 0,
      code: timedOut ? 'timeout' : 'network_error',
      message: error.message,
      cause: error,
    });
  }
  const headerRequestId = headerValue(response.headers, 'x-request-id');
  const parsed = parseErrorResponse(response.data);
  if (parsed === undefined) {
    return new ApiError({
      status: response.status,
      code: 'unexpected_response',
      message: `Unexpected response (HTTP ${response.status})`,
      requestId: headerRequestId,
      cause: error,
    });
  }
  return new ApiError({
    status: response.status,
    code: parsed.code,
    message: parsed.message,
    details: parsed.details,
    requestId: parsed.request_id ?? headerRequestId,
    cause: error,
  });
}

/** For code that receives `unknown` errors (e.g. TanStack Query): always an ApiError. */
export function asApiError(error: unknown): ApiError {
  const converted = toApiError(error);
  if (converted instanceof ApiError) {
    return converted;
  }
  return new ApiError({ status: 0, code: 'unexpected', message: 'Request cancelled', cause: error });
}
