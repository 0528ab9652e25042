import { describe, expect, it } from 'vitest';
import { call, expectError, newRequestId } from './helpers/http';

describe('errors have the one ErrorResponse shape', () => {
  it('unknown route: 404 route_not_found', async () => {
    expectError(await call('/api/nope'), 404, 'route_not_found');
  });

  it('unknown route with a client request id: the id is in the header and the body', async () => {
    const id = newRequestId('404');
    const response = await call('/api/nope', { headers: { 'X-Request-Id': id } });
    const body = expectError(response, 404, 'route_not_found');
    expect(response.headers.get('x-request-id')).toBe(id);
    expect(body.error.request_id ?? id).toBe(id);
  });

  it('wrong method: 405 method_not_allowed with an Allow header that lists GET', async () => {
    const response = await call('/api/status', { method: 'DELETE' });
    expectError(response, 405, 'method_not_allowed');
    const allow = (response.headers.get('allow') ?? '').split(',').map((method) => method.trim().toUpperCase());
    expect(allow, `Allow: ${response.headers.get('allow')}`).toContain('GET');
  });

  it('POST to a GET-only route: 405 method_not_allowed, not 404', async () => {
    const response = await call('/api/status', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expectError(response, 405, 'method_not_allowed');
  });
});
