import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_ORIGIN, apiUrl } from './helpers/env';
import { expectError, type ApiResponse } from './helpers/http';
import { validateAgainst, type Schemas } from './helpers/schema';
import { Client } from './helpers/session';

// Who may open a pod's URL, end to end over HTTP on the shared test server (real database, the
// Kubernetes sandbox): the ingress check as ingress-nginx calls it, the sign-in and the pod host's
// callback (sent with the pod's Host, as the Ingress routes /.neuropod/ to the API), sharing
// levels and share links; then the lifecycle report, keep running, notifications and billing.

type Pod = Schemas['Pod'];

const ADMIN = 'lolerodiez@gmail.com';
const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const email = (label: string) => `access-${label}-${uid()}@example.com`;

async function signedIn(address: string): Promise<Client> {
  const c = new Client(apiUrl);
  await c.devLogin(address);
  return c;
}

const made: string[] = [];
afterEach(async () => {
  const admin = await signedIn(ADMIN);
  for (const id of made.splice(0)) {
    const res = await admin.call(`/api/pods/${id}`, { method: 'DELETE' });
    expect([204, 404], res.text).toContain(res.status);
  }
});

async function podOf(c: Client): Promise<{ pod: Pod; host: string }> {
  const res = await c.post('/api/pods', { name: `web-${uid()}`, template_slug: 'comfyui' });
  expect(res.status, res.text).toBe(201);
  const pod = validateAgainst('Pod', res.json);
  made.push(pod.id);
  const url = pod.urls.find((u) => u.protocol === 'http')?.url;
  expect(url, 'an HTTP URL').toBeTruthy();
  return { pod, host: new URL(url!).host };
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET to the API server with an arbitrary Host (fetch cannot set it). */
function rawGet(path: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(apiUrl(path), { method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** The ingress check as ingress-nginx sends it. */
function check(host: string, cookie?: string): Promise<Raw> {
  const headers: Record<string, string> = { 'x-original-url': `https://${host}/some/path?q=1` };
  if (cookie) {
    headers.cookie = cookie;
  }
  return rawGet('/api/pod-access/check', headers);
}

function podCookie(res: Raw): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const c = set.find((s) => s.startsWith('neuropod_pod='));
  expect(c, `a pod cookie in ${JSON.stringify(res.headers)}`).toBeTruthy();
  expect(c).toMatch(/HttpOnly/i);
  expect(c).not.toMatch(/Domain=/i); // this pod host only
  return c!.split(';')[0]!;
}

/** The browser's way in: sign-in (API host, session cookie) -> callback (pod host) -> cookie. */
async function openAs(c: Client, host: string): Promise<string> {
  const to = await c.call(`/api/pod-access/signin?rd=${encodeURIComponent(`https://${host}/lab?x=1`)}`);
  expect(to.status, to.text).toBe(302);
  const location = new URL(to.headers.get('location')!);
  expect(location.host).toBe(host);
  expect(location.pathname).toBe('/.neuropod/callback');
  const back = await rawGet(`${location.pathname}${location.search}`, { host });
  expect(back.status, back.body).toBe(302);
  expect(back.headers.location).toBe('/lab?x=1');
  return podCookie(back);
}

function expectErrorShape(res: Raw, status: number): void {
  expect(res.status, res.body).toBe(status);
  validateAgainst('ErrorResponse', JSON.parse(res.body));
}

describe('pod URL access', () => {
  it('lets the owner and admins in, and nobody else', async () => {
    const owner = await signedIn(email('owner'));
    const other = await signedIn(email('other'));
    const admin = await signedIn(ADMIN);
    const { host } = await podOf(owner);

    expectErrorShape(await check(host), 401);
    const cookie = await openAs(owner, host);
    const ok = await check(host, cookie);
    expect(ok.status, ok.body).toBe(204);
    const me = validateAgainst('VerifyResponse', (await owner.call('/api/auth/verify')).json).user.id;
    expect(ok.headers['x-neuropod-user']).toBe(me);
    expect((await check(host, await openAs(admin, host))).status).toBe(204);

    expectError(await other.call(`/api/pod-access/signin?rd=${encodeURIComponent(`https://${host}/`)}`), 403, 'forbidden');
    const anon = await new Client(apiUrl).call(`/api/pod-access/signin?rd=${encodeURIComponent(`https://${host}/`)}`);
    expect(anon.status).toBe(302);
    expect(anon.headers.get('location')).toMatch(new RegExp(`^${APP_ORIGIN}/login\\?next=`));

    // The session cookie is not a pod cookie; a ticket is used once.
    expectErrorShape(await check(host, owner.cookieHeader()), 401);
    expectErrorShape(await rawGet('/.neuropod/callback?ticket=x.y.z&rd=%2F', { host }), 401);
    expectError(await owner.call('/api/pod-access/signin'), 400, 'validation_failed');
    expectError(
      await owner.call(`/api/pod-access/signin?rd=${encodeURIComponent('https://nobody-zz-1.example.org/')}`),
      404,
      'not_found',
    );
    // Sign-out closes the pod for that session.
    expect((await owner.post('/api/auth/logout')).status).toBeLessThan(300);
    expectErrorShape(await check(host, cookie), 401);
  });

  it('follows the sharing level and share links, revoked at once', async () => {
    const owner = await signedIn(email('owner'));
    const other = await signedIn(email('other'));
    const { pod, host } = await podOf(owner);

    const users = await owner.call(`/api/pods/${pod.id}/access`, { method: 'PUT', body: JSON.stringify({ access: 'users' }) });
    expect(users.status, users.text).toBe(200);
    expect(validateAgainst('Pod', users.json).access).toBe('users');
    const othersCookie = await openAs(other, host);
    expect((await check(host, othersCookie)).status).toBe(204);
    expectErrorShape(await check(host), 401);
    expectError(
      await other.call(`/api/pods/${pod.id}/access`, { method: 'PUT', body: JSON.stringify({ access: 'public' }) }),
      404,
      'not_found',
    );
    expectError(
      await owner.call(`/api/pods/${pod.id}/access`, { method: 'PUT', body: JSON.stringify({ access: 'all' }) }),
      400,
      'validation_failed',
    );

    await owner.call(`/api/pods/${pod.id}/access`, { method: 'PUT', body: JSON.stringify({ access: 'public' }) });
    expect((await check(host)).status).toBe(204);
    await owner.call(`/api/pods/${pod.id}/access`, { method: 'PUT', body: JSON.stringify({ access: 'owner' }) });
    expectErrorShape(await check(host, othersCookie), 401);

    const created = await owner.post(`/api/pods/${pod.id}/shares`, { label: 'for Ana', expires_in_seconds: 3600 });
    expect(created.status, created.text).toBe(201);
    const link = validateAgainst('ShareLink', created.json);
    expect(link.state).toBe('active');
    const url = new URL(link.url!);
    expect(url.host).toBe(host);
    const opened = await rawGet(url.pathname, { host });
    expect(opened.status, opened.body).toBe(302);
    const shareCookie = podCookie(opened);
    const viaShare = await check(host, shareCookie);
    expect(viaShare.status).toBe(204);
    expect(viaShare.headers['x-neuropod-user']).toBe(`share:${link.id}`);

    const list = await owner.call(`/api/pods/${pod.id}/shares`);
    expect(list.status).toBe(200);
    const items = (list.json as { items: unknown[] }).items.map((i) => validateAgainst('ShareLink', i));
    expect(items.map((i) => i.id)).toEqual([link.id]);
    expect(items[0]!.url).toBeNull();

    expect((await owner.call(`/api/pods/${pod.id}/shares/${link.id}`, { method: 'DELETE' })).status).toBe(204);
    expectErrorShape(await check(host, shareCookie), 401);
    expectErrorShape(await rawGet(url.pathname, { host }), 401);
    expectError(await owner.post(`/api/pods/${pod.id}/shares`, { expires_in_seconds: 5 }), 400, 'validation_failed');
  });

  it('explains when a pod stops, keeps it running on request, and lists notifications and billing', async () => {
    const owner = await signedIn(email('owner'));
    const { pod } = await podOf(owner);
    const report = await owner.call(`/api/pods/${pod.id}/lifecycle`);
    expect(report.status, report.text).toBe(200);
    const r = validateAgainst('LifecycleReport', report.json);
    expect(r.reasons.length).toBeGreaterThan(0);
    const kept = await owner.call(`/api/pods/${pod.id}/keep-running`, { method: 'PUT', body: JSON.stringify({ keep_running: true }) });
    expect(kept.status, kept.text).toBe(200);
    expect(validateAgainst('Pod', kept.json).keep_running).toBe(true);
    const other = await signedIn(email('other'));
    expectError(await other.call(`/api/pods/${pod.id}/lifecycle`), 404, 'not_found');
    expectError(
      await other.call(`/api/pods/${pod.id}/keep-running`, { method: 'PUT', body: JSON.stringify({ keep_running: true }) }),
      404,
      'not_found',
    );
    expectError(
      await owner.call(`/api/pods/${pod.id}/keep-running`, { method: 'PUT', body: JSON.stringify({ keep_running: 'yes' }) }),
      400,
      'validation_failed',
    );
    expectError(await owner.call('/api/pods/not-an-id/lifecycle'), 404, 'not_found');

    const page = await owner.call('/api/notifications?unread=true');
    expect(page.status, page.text).toBe(200);
    validateAgainst('NotificationPage', page.json);
    expectError(await owner.post('/api/notifications/0123456789abcdef01234567/read'), 404, 'not_found');
    expectError(await owner.call('/api/notifications?unread=maybe'), 400, 'validation_failed');
    const all = await owner.post('/api/notifications/read-all');
    expect(all.status, all.text).toBe(200);

    const summary: ApiResponse = await owner.call('/api/billing/summary');
    expect(summary.status, summary.text).toBe(200);
    validateAgainst('BillingSummary', summary.json);
    const ledger = await owner.call('/api/billing/transactions?limit=5');
    expect(ledger.status, ledger.text).toBe(200);
    validateAgainst('LedgerPage', ledger.json);
    const usage = await owner.call('/api/billing/usage?days=7');
    expect(usage.status, usage.text).toBe(200);
    validateAgainst('BillingUsage', usage.json);
    expectError(await owner.call('/api/billing/usage?days=0'), 400, 'validation_failed');
    expectError(await owner.call('/api/billing/transactions?limit=0'), 400, 'validation_failed');
    // Billing is the caller's own; the admin views are refused to clients.
    expectError(await other.call('/api/admin/billing/summary'), 403, 'forbidden');
  });
});
