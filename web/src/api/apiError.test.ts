import { CanceledError } from 'axios';
import { describe, expect, it } from 'vitest';
import { ApiError, asApiError, parseErrorResponse, toApiError } from '@/api/apiError';
import { createApiClient } from '@/api/client';
import { failingAdapter, fakeAdapter } from '@/test/render';

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('parseErrorResponse', () => {
  it('accepts the ErrorResponse shape, with and without the optional parts', () => {
    expect(parseErrorResponse({ error: { code: 'not_found', message: 'No such pod' } })).toEqual({
      code: 'not_found',
      message: 'No such pod',
    });
    const full = {
      error: { code: 'validation_failed', message: 'Bad', details: { fields: [] }, request_id: 'r1' },
    };
    expect(parseErrorResponse(full)).toEqual(full.error);
    expect(parseErrorResponse(JSON.stringify(full))).toEqual(full.error);
  });

  it.each([
    ['null', null],
    ['a string that is not JSON', '<html>Bad Gateway</html>'],
    ['no error object', { message: 'x' }],
    ['an error that is a string', { error: 'boom' }],
    ['a missing message', { error: { code: 'internal' } }],
    ['a numeric code', { error: { code: 500, message: 'x' } }],
    ['details that are not an object', { error: { code: 'internal', message: 'x', details: 'y' } }],
    ['a numeric request id', { error: { code: 'internal', message: 'x', request_id: 7 } }],
  ])('rejects %s', (_name, body) => {
    expect(parseErrorResponse(body)).toBeUndefined();
  });
});

describe('api client errors', () => {
  it('turns an error response into an ApiError with code, message, details, status and request id', async () => {
    const body = {
      error: {
        code: 'validation_failed',
        message: 'The body is invalid',
        details: { fields: [{ field: 'ports[0].port', message: 'must be between 1 and 65535' }] },
        request_id: 'req-body',
      },
    };
    const { adapter } = fakeAdapter({ status: 400, data: body, headers: { 'x-request-id': 'req-header' } });
    const error = await rejection(createApiClient({ adapter }).post('/api/pods', {}));

    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toBe('The body is invalid');
    expect(error.requestId).toBe('req-body');
    expect(error.details).toEqual(body.error.details);
    expect(error.fieldErrors).toEqual([{ field: 'ports[0].port', message: 'must be between 1 and 65535' }]);
    expect(error.isNetworkFailure).toBe(false);
  });

  it('takes the request id from the X-Request-Id header when the body has none', async () => {
    const { adapter } = fakeAdapter({
      status: 404,
      data: { error: { code: 'route_not_found', message: 'No route' } },
      headers: { 'x-request-id': 'req-header' },
    });
    const error = await rejection(createApiClient({ adapter }).get('/api/nope'));
    expect(error).toMatchObject({ status: 404, code: 'route_not_found', requestId: 'req-header' });
    expect(error.details).toBeUndefined();
    expect(error.fieldErrors).toEqual([]);
  });

  it('reports a response outside the error shape as unexpected_response', async () => {
    const { adapter } = fakeAdapter({
      status: 502,
      data: '<html>Bad Gateway</html>',
      headers: { 'content-type': 'text/html' },
    });
    const error = await rejection(createApiClient({ adapter }).get('/api/status'));
    expect(error).toMatchObject({ status: 502, code: 'unexpected_response', requestId: undefined });
  });

  it.each([
    ['ERR_NETWORK', 'network_error'],
    ['ECONNABORTED', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
  ])('turns a request with no response (%s) into %s with status 0', async (axiosCode, code) => {
    const error = await rejection(createApiClient({ adapter: failingAdapter(axiosCode, 'failed') }).get('/api/status'));
    expect(error).toMatchObject({ status: 0, code });
    expect(error.isNetworkFailure).toBe(true);
  });

  it('lets cancellations through unchanged (TanStack Query cancels with an AbortSignal)', () => {
    const cancel = new CanceledError();
    expect(toApiError(cancel)).toBe(cancel);
    expect(asApiError(cancel)).toBeInstanceOf(ApiError);
  });

  it('wraps anything else thrown as an unexpected ApiError', () => {
    const error = asApiError(new TypeError('x is undefined'));
    expect(error).toMatchObject({ status: 0, code: 'unexpected', message: 'x is undefined' });
    expect(asApiError(error)).toBe(error);
  });

  it('sends X-Requested-With: neuropod and credentials on every request', async () => {
    const { adapter, calls } = fakeAdapter({ status: 200, data: {} });
    const client = createApiClient({ adapter });
    await client.get('/api/status');
    await client.post('/api/pods', { a: 1 });
    await client.delete('/api/pods/1');

    expect(calls).toHaveLength(3);
    for (const config of calls) {
      expect(config.headers.get('X-Requested-With')).toBe('neuropod');
      expect(config.withCredentials).toBe(true);
    }
  });
});
