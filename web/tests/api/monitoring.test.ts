import { describe, expect, it } from 'vitest';
import { apiUrl } from './helpers/env';
import { call, expectError, expectJsonContentType } from './helpers/http';
import { validateAgainst } from './helpers/schema';
import { Client } from './helpers/session';

// Monitoring on the shared test server: liveness, readiness (a real database and the sandbox's
// Kubernetes), Prometheus metrics (the tests connect from loopback) and the admins' alert list.

const ADMIN = 'lolerodiez@gmail.com';
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The value of one series line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /api/health', () => {
  it('answers 200 {status: ok}', async () => {
    const res = await call('/api/health');
    expect(res.status).toBe(200);
    expectJsonContentType(res.headers);
    expect(validateAgainst('Health', res.json)).toEqual({ status: 'ok' });
  });
});

describe('GET /api/ready', () => {
  it('is ready with the database and Kubernetes answering', async () => {
    const res = await call('/api/ready');
    expect(res.status, res.text).toBe(200);
    const ready = validateAgainst('Readiness', res.json);
    expect(ready.status).toBe('ready');
    expect(ready.checks.database.status).toBe('ok');
    expect(['ok', 'not_configured']).toContain(ready.checks.kubernetes.status);
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus text format with the named series, by route pattern', async () => {
    // A request to a route with a parameter: counted under its pattern, never its path.
    const probe = await call(`/api/pods/${'0'.repeat(23)}f`);
    expect(probe.status).toBe(401);
    await call('/api/health');

    const res = await call('/metrics');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    for (const name of [
      'neuropod_http_requests_total',
      'neuropod_http_request_duration_seconds',
      'neuropod_db_operation_duration_seconds',
      'neuropod_db_errors_total',
      'neuropod_k8s_request_duration_seconds',
      'neuropod_pods',
      'neuropod_billing_passes_total',
      'neuropod_billing_charges_total',
      'neuropod_billing_charged_micros_total',
      'neuropod_billing_last_success_timestamp_seconds',
      'neuropod_billing_pass_duration_seconds',
      'neuropod_websocket_clients',
      'neuropod_build_info',
      'process_start_time_seconds',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(sample(text, 'neuropod_http_requests_total{method="GET",route="/api/health",status="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'neuropod_http_requests_total{method="GET",route="/api/pods/{id}",status="4xx"}')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(`0000f"`);
    expect(sample(text, 'neuropod_db_operation_duration_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'neuropod_pods{state="running"}')).toBeGreaterThanOrEqual(0);
  });

  it('counts each request once more on the next scrape', async () => {
    const series = 'neuropod_http_requests_total{method="GET",route="/api/health",status="2xx"}';
    const before = sample((await call('/metrics')).text, series) ?? 0;
    await call('/api/health');
    await call('/api/health');
    const after = sample((await call('/metrics')).text, series);
    expect(after).toBe(before + 2);
  });

  it('refuses requests that came through a proxy (the tunnel) without the token', async () => {
    for (const header of ['cf-connecting-ip', 'x-forwarded-for']) {
      const res = await call('/metrics', { headers: { [header]: '203.0.113.7' } });
      expectError(res, 401, 'unauthorized');
      expect(res.text).not.toContain('neuropod_http_requests_total');
    }
    const wrong = await call('/metrics', {
      headers: { 'cf-connecting-ip': '203.0.113.7', authorization: 'Bearer not-the-token-at-all' },
    });
    expectError(wrong, 401, 'unauthorized');
  });
});

describe('GET /api/admin/alerts', () => {
  it('lists the current alerts for admins only', async () => {
    const admin = new Client(apiUrl);
    await admin.devLogin(ADMIN);
    const res = await admin.call('/api/admin/alerts');
    expect(res.status, res.text).toBe(200);
    const body = res.json as { items: unknown[]; leading: boolean };
    expect(typeof body.leading).toBe('boolean');
    for (const a of body.items) {
      validateAgainst('Alert', a);
    }

    const client = new Client(apiUrl);
    await client.devLogin(`alerts-${run}@example.com`);
    expectError(await client.call('/api/admin/alerts'), 403, 'forbidden');
    expectError(await call('/api/admin/alerts'), 401, 'unauthorized');
  });
});
