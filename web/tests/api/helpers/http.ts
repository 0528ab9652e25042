import { expect } from 'vitest';
import { apiUrl } from './env';
import type { RawResponse } from './rawHttp';
import { validateAgainst, type Schemas } from './schema';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTP request to the server under test (Node's fetch), body read in full. */
export async function call(path: string, init: RequestInit = {}): Promise<ApiResponse> {
  const response = await fetch(apiUrl(path), { signal: AbortSignal.timeout(10_000), ...init });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A request id unique to one test, to follow it through the server's headers, body and logs. */
export function newRequestId(label: string): string {
  return `apitest-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function expectJsonContentType(headers: { get(name: string): string | null }): void {
  const contentType = headers.get('content-type') ?? '';
  expect(contentType, 'content-type').toMatch(/^application\/json\b/i);
}

/**
 * Asserts the one error shape of the contract: the status, `content-type: application/json`, a body
 * that is exactly ErrorResponse (additionalProperties: false) with the expected code, and a request id
 * that matches the X-Request-Id header when both are present.
 */
export function expectError(response: ApiResponse, status: number, code: Schemas['ErrorCode']): Schemas['ErrorResponse'] {
  expect(response.status, `status of ${response.text}`).toBe(status);
  expectJsonContentType(response.headers);
  expect(response.json, `body is not JSON: ${response.text}`).toBeDefined();
  const body = validateAgainst('ErrorResponse', response.json);
  expect(body.error.code).toBe(code);
  expect(body.error.message.trim(), 'error.message').not.toBe('');
  const headerId = response.headers.get('x-request-id');
  expect(headerId, 'x-request-id header').toBeTruthy();
  if (body.error.request_id !== undefined) {
    expect(body.error.request_id).toBe(headerId);
  }
  return body;
}

/** A response read over a raw socket (helpers/rawHttp.ts), in the shape expectError() takes. */
export function fromRaw(response: RawResponse): ApiResponse {
  let json: unknown;
  try {
    json = JSON.parse(response.body) as unknown;
  } catch {
    json = undefined;
  }
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    headers.append(name, value);
  }
  return { status: response.status, headers, text: response.body, json };
}
