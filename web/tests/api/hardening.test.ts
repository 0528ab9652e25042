import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ORIGIN } from './helpers/env';
import { call, expectError } from './helpers/http';
import { Client } from './helpers/session';
import { spawnServer, type OwnServer } from './helpers/spawnServer';

// Rate limits, security headers, CORS, and the production guards of the sign-in configuration.

const servers: OwnServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s.process.exitCode === null) {
      s.process.kill('SIGTERM');
      expect(await s.exited, 'exit code on SIGTERM (sanitizer reports make it non-zero)').toBe(0);
    }
  }
});

async function own(env: Record<string, string>): Promise<OwnServer> {
  const s = await spawnServer(env);
  servers.push(s);
  return s;
}

/**
 * Production needs a cluster (NEUROPOD_KUBECONFIG). These tests are about sign-in, so they get a
 * kubeconfig that parses but points at a closed port: pods would answer 503, nothing else cares.
 */
function unreachableKubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'neuropod-kube-'));
  const path = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: not-a-real-token}}]',
      'contexts: [{name: x, context: {cluster: c, user: u, namespace: neuropod}}]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return path;
}
const KUBE = { NEUROPOD_KUBECONFIG: unreachableKubeconfig() };
/** Production refuses pod URLs without the ingress auth check (access/pod_access.hpp). */
const POD_AUTH = {
  NEUROPOD_POD_AUTH_URL: 'http://neuropod-api.neuropod.svc:3000/api/pod-access/check',
  NEUROPOD_PUBLIC_API_URL: 'https://api.neuropod.online',
  NEUROPOD_POD_ACCESS_SERVICE: 'neuropod-api:3000',
};

/** Runs the binary to completion (it must refuse to start) and returns its exit code and stderr. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.env.NEUROPOD_BIN ?? 'neuropod', ['--env-file=/dev/null', '--check-config'], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('security headers', () => {
  it('every response carries CSP, frame-ancestors, nosniff, referrer policy; no HSTS outside production', async () => {
    for (const res of [await call('/api/status'), await call('/api/nope')]) {
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });
});

describe('CORS', () => {
  it('allows the app origin with credentials, preflight included', async () => {
    const pre = await call('/api/auth/logout', {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-requested-with' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-requested-with');
    const get = await call('/api/status', { headers: { origin: APP_ORIGIN } });
    expect(get.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(get.headers.get('vary')).toContain('Origin');
  });

  it('gives other origins nothing', async () => {
    const pre = await call('/api/auth/logout', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expectError(pre, 403, 'forbidden');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const get = await call('/api/status', { headers: { origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('rate limits', () => {
  it('sign-in endpoints per IP: 429 with Retry-After', async () => {
    const s = await own({ NEUROPOD_RATE_AUTH_PER_MIN: '3' });
    const c = new Client((p) => s.url(p));
    for (let i = 0; i < 3; i += 1) {
      expect((await c.post('/api/auth/dev-login', { email: `rl${i}@example.com` })).status).toBe(200);
    }
    const limited = await c.post('/api/auth/dev-login', { email: 'rl9@example.com' });
    expectError(limited, 429, 'too_many_requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Signed-in routes are not sign-in routes: the session still works.
    expect((await c.call('/api/auth/verify')).status).toBe(200);
  });

  it('per user on signed-in routes, and a general limit per IP', async () => {
    const s = await own({ NEUROPOD_RATE_USER_PER_MIN: '5', NEUROPOD_RATE_GENERAL_PER_MIN: '40' });
    const c = new Client((p) => s.url(p));
    await c.devLogin('busy@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {statuses.push((await c.call('/api/auth/verify')).status);}
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const other = new Client((p) => s.url(p));
    await other.devLogin('calm@example.com');
    expect((await other.call('/api/auth/verify')).status, 'another user is not limited').toBe(200);

    let last = 0;
    for (let i = 0; i < 40 && last !== 429; i += 1) {last = (await c.call('/api/status')).status;}
    expect(last, 'the general per-IP limit').toBe(429);
  });
});

describe('sign-in configuration', () => {
  it('without GOOGLE_CLIENT_ID the development sign-in is offered (outside production)', async () => {
    const s = await own({});
    const cfg = await fetch(s.url('/api/auth/config'));
    expect(await cfg.json()).toEqual({ google: { enabled: false }, dev_login: true });
  });

  it('refuses to start in production with the development sign-in, without Google, or without session keys', async () => {
    const base = { NEUROPOD_ENV: 'production', APP_ORIGIN: 'https://app.neuropod.online', ...KUBE, ...POD_AUTH };
    const google = {
      GOOGLE_CLIENT_ID: 'x.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 's',
      GOOGLE_REDIRECT_URI: 'https://api.neuropod.online/api/auth/google/callback',
    };
    const keys = { NEUROPOD_SESSION_KEYS: `k1:${'a'.repeat(48)}` };
    const devLogin = await runToExit({ ...base, ...google, ...keys, NEUROPOD_DEV_LOGIN: 'true' });
    expect(devLogin.code).toBe(2);
    expect(devLogin.stderr).toContain('NEUROPOD_DEV_LOGIN');
    const noGoogle = await runToExit({ ...base, ...keys });
    expect(noGoogle.code).toBe(2);
    expect(noGoogle.stderr).toContain('GOOGLE_CLIENT_ID');
    const noKeys = await runToExit({ ...base, ...google });
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('NEUROPOD_SESSION_KEYS');
    const noCluster = await runToExit({ ...base, ...google, ...keys, NEUROPOD_KUBECONFIG: '' });
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr).toContain('NEUROPOD_KUBECONFIG');
    // Pod URLs protected by the ingress auth check, or no start.
    const openPods = await runToExit({ ...base, ...google, ...keys, NEUROPOD_POD_AUTH_URL: '' });
    expect(openPods.code).toBe(2);
    expect(openPods.stderr).toContain('NEUROPOD_POD_AUTH_URL');
    // And a way for a pod's visitors to sign in (the API's public URL, the Service to it).
    const noSignIn = await runToExit({ ...base, ...google, ...keys, NEUROPOD_PUBLIC_API_URL: '', NEUROPOD_POD_ACCESS_SERVICE: '' });
    expect(noSignIn.code).toBe(2);
    expect(noSignIn.stderr).toContain('NEUROPOD_PUBLIC_API_URL');
    expect(noSignIn.stderr).toContain('NEUROPOD_POD_ACCESS_SERVICE');
    const ok = await runToExit({ ...base, ...google, ...keys });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('in production: HSTS, Secure cookies, and no development sign-in route', async () => {
    const s = await own({
      NEUROPOD_ENV: 'production',
      APP_ORIGIN: 'https://app.neuropod.online',
      GOOGLE_CLIENT_ID: 'x.apps.googleusercontent.com',
      GOOGLE_CLIENT_SECRET: 's',
      GOOGLE_REDIRECT_URI: 'https://api.neuropod.online/api/auth/google/callback',
      NEUROPOD_SESSION_KEYS: `k1:${'b'.repeat(48)}`,
      ...KUBE,
      ...POD_AUTH,
    });
    const status = await fetch(s.url('/api/status'));
    expect(status.headers.get('strict-transport-security')).toContain('max-age=');
    const dev = await fetch(s.url('/api/auth/dev-login'), {
      method: 'POST',
      headers: { origin: 'https://app.neuropod.online', 'x-requested-with': 'neuropod', 'content-type': 'application/json' },
      body: '{"email":"a@b.c"}',
    });
    expect(dev.status).toBe(404);
    const start = await fetch(s.url('/api/auth/google'), { redirect: 'manual' });
    expect(start.status).toBe(302);
    expect(start.headers.getSetCookie().join(';')).toContain('Secure');
  });
});
