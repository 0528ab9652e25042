import { describe, expect, it } from 'vitest';
import { call, expectJsonContentType, newRequestId } from './helpers/http';
import { validateAgainst } from './helpers/schema';

describe('GET /api/status', () => {
  it('answers 200 with a body that matches the Status schema', async () => {
    const response = await call('/api/status');

    expect(response.status).toBe(200);
    expectJsonContentType(response.headers);
    const status = validateAgainst('Status', response.json);
    expect(status.name).toBe('neuropod');
    expect(status.version.trim()).not.toBe('');
    expect(status.environment).toBe('test');
    expect(Number.isNaN(Date.parse(status.time))).toBe(false);
  });

  it('reports the database as reachable (the test script runs a real one)', async () => {
    const status = validateAgainst('Status', (await call('/api/status')).json);
    expect(status.database, JSON.stringify(status.database)).toMatchObject({ status: 'ok' });
    expect(status.database.error).toBeUndefined();
  });

  it('uptime grows between two calls', async () => {
    const first = validateAgainst('Status', (await call('/api/status')).json);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = validateAgainst('Status', (await call('/api/status')).json);
    expect(second.uptime_seconds).toBeGreaterThan(first.uptime_seconds);
  });

  it('sends an x-request-id header, a different one per request', async () => {
    const [a, b] = await Promise.all([call('/api/status'), call('/api/status')]);
    const idA = a.headers.get('x-request-id');
    const idB = b.headers.get('x-request-id');
    expect(idA).toBeTruthy();
    expect(idB).toBeTruthy();
    expect(idA).not.toBe(idB);
  });

  it('echoes a request id sent by the client', async () => {
    const id = newRequestId('status');
    const response = await call('/api/status', { headers: { 'X-Request-Id': id } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(id);
  });
});
