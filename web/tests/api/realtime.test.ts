import { describe, expect, it } from 'vitest';
import { apiUrl } from './helpers/env';
import { validateAgainst, type SchemaName } from './helpers/schema';
import { APP_ORIGIN, Client } from './helpers/session';
import { openWs, type TestSocket } from './helpers/ws';

// /api/ws against the shared test server: the session cookie and the Origin are checked on the
// upgrade, a socket gets its own user's events only, and ending the session closes it (1008).

const ADMIN = 'lolerodiez@gmail.com';
const uid = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function signedIn(label: string, address = `ws-${label}-${uid()}@example.com`): Promise<Client> {
  const c = new Client(apiUrl);
  await c.devLogin(address);
  return c;
}

async function userId(c: Client): Promise<string> {
  return validateAgainst('VerifyResponse', (await c.call('/api/auth/verify')).json).user.id;
}

// api/events/README.md: the schema of each event's data.
const EVENT_SCHEMAS: Record<string, SchemaName> = {
  'session.hello': 'SessionHelloEvent',
  'pod.status': 'Pod',
  'pod.deleted': 'PodDeletedEvent',
  'pod.progress': 'PodProgressEvent',
  'balance.changed': 'BalanceChangedEvent',
  'notification.created': 'Notification',
  'user.signed_up': 'UserSignedUpEvent',
  'alert.raised': 'Alert',
  'alert.cleared': 'Alert',
};

/** Every message so far is an EventEnvelope whose data matches its type's schema. */
function expectValidEvents(s: TestSocket): void {
  for (const m of s.messages) {
    validateAgainst('EventEnvelope', m);
    const schema = EVENT_SCHEMAS[m.type];
    expect(schema, `an event type missing from api/events/README.md: ${m.type}`).toBeDefined();
    validateAgainst(schema!, m.data);
  }
}

async function socketOf(c: Client): Promise<TestSocket> {
  const up = await openWs({ cookie: c.cookieHeader(), origin: APP_ORIGIN });
  if (up.kind !== 'open') {throw new Error(`upgrade refused: ${up.status} ${up.body}`);}
  await up.socket.until(() => up.socket.messages.length >= 1, 10_000, 'the hello');
  return up.socket;
}

describe('GET /api/ws', () => {
  it('refuses an upgrade without a session (401) or from a foreign origin (403)', async () => {
    const anonymous = await openWs({ origin: APP_ORIGIN });
    expect(anonymous.kind).toBe('refused');
    if (anonymous.kind === 'refused') {
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.body).error.code).toBe('unauthorized');
    }
    const c = await signedIn('origin');
    const foreign = await openWs({ cookie: c.cookieHeader(), origin: 'https://evil.example' });
    expect(foreign.kind).toBe('refused');
    if (foreign.kind === 'refused') {
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body).error.code).toBe('csrf_rejected');
    }
    const none = await openWs({ cookie: c.cookieHeader() });
    expect(none.kind === 'refused' && none.status).toBe(403);
  });

  it('a plain GET (no upgrade) is a 400 in the one error shape', async () => {
    const c = await signedIn('plain');
    const res = await c.call('/api/ws');
    expect(res.status).toBe(400);
    expect((res.json as { error: { code: string } }).error.code).toBe('bad_request');
  });

  it('says hello, then delivers the user\'s own events and not other users\'', async () => {
    const alice = await signedIn('alice');
    const bob = await signedIn('bob');
    const a = await socketOf(alice);
    const b = await socketOf(bob);
    const hello = a.messages[0]!;
    expect(hello.type).toBe('session.hello');
    expect(hello.data.user_id).toBe(await userId(alice));
    expect(hello.data.admin).toBe(false);
    expect(typeof hello.ts).toBe('string');

    // Alice deploys a pod: her socket sees its status; Bob's sees nothing of it.
    const created = await alice.post('/api/pods', { name: `ws-${uid()}`, template_slug: 'ubuntu' });
    expect(created.status, created.text).toBe(201);
    const podId = (created.json as { id: string }).id;
    await a.until(() => a.ofType('pod.status').some((m) => m.data.id === podId), 15_000, 'pod.status');
    const admin = await signedIn('admin', ADMIN);
    expect((await admin.call(`/api/pods/${podId}`, { method: 'DELETE' })).status).toBe(204);
    await a.until(() => a.ofType('pod.deleted').some((m) => m.data.id === podId), 15_000, 'pod.deleted');
    expect(b.messages.filter((m) => m.data.id === podId)).toEqual([]);
    expectValidEvents(a);
    expectValidEvents(b);
    a.close();
    b.close();
  });

  it('tells admins of new users, and a user of a credit to their balance', async () => {
    const admin = await signedIn('admin', ADMIN);
    const watch = await socketOf(admin);
    const erin = await signedIn('erin');
    const erinId = await userId(erin);
    await watch.until(
      () => watch.ofType('user.signed_up').some((m) => m.data.user_id === erinId),
      10_000,
      'user.signed_up',
    );
    const e = await socketOf(erin);
    expect(e.ofType('user.signed_up')).toEqual([]); // admins only
    const credit = await admin.post(`/api/admin/users/${erinId}/balance`, { mode: 'add', amount_micros: 2_500_000, reason: 'a test credit' });
    expect(credit.status, credit.text).toBe(200);
    const balance = (credit.json as { user: { balance_micros: number } }).user.balance_micros;
    await e.until(() => e.ofType('balance.changed').some((m) => m.data.balance_micros === balance), 10_000, 'balance.changed');
    expectValidEvents(watch);
    expectValidEvents(e);
    watch.close();
    e.close();
  });

  it("a stopped pod's last pod.status carries the run's settled cost, as the pod reads afterwards", async () => {
    const frank = await signedIn('frank');
    const f = await socketOf(frank);
    const created = await frank.post('/api/pods', { name: `cost-${uid()}`, template_slug: 'ubuntu' });
    expect(created.status, created.text).toBe(201);
    const podId = (created.json as { id: string }).id;
    const ofPod = (status: string) =>
      f.ofType('pod.status').filter((m) => m.data.id === podId && m.data.status === status);
    await f.until(() => ofPod('running').length > 0, 15_000, 'running');
    // Ubuntu costs 0.05 EUR/h, about 14 micro-euros a second: a run of 2 s or more costs something,
    // charged only when it ends (the billing loop's first period is a minute).
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await frank.post(`/api/pods/${podId}/stop`)).status).toBe(200);
    await f.until(() => ofPod('stopped').length > 0, 15_000, 'stopped');
    const last = ofPod('stopped').at(-1)!.data as { cost_micros: number };
    const read = (await frank.call(`/api/pods/${podId}`)).json as { cost_micros: number };
    expect(read.cost_micros).toBeGreaterThan(0);
    expect(last.cost_micros).toBe(read.cost_micros);
    expectValidEvents(f);
    f.close();
  });

  it('closes the socket (1008) when the user signs out, or is blocked', async () => {
    const carol = await signedIn('carol');
    const s = await socketOf(carol);
    expect((await carol.post('/api/auth/logout')).status).toBe(204);
    await s.until(() => s.closeCode !== undefined, 10_000, 'the close');
    expect(s.closeCode).toBe(1008);

    const dave = await signedIn('dave');
    const daveId = await userId(dave);
    const d = await socketOf(dave);
    const admin = await signedIn('admin', ADMIN);
    expect((await admin.post(`/api/admin/users/${daveId}/block`)).status).toBe(200);
    await d.until(() => d.closeCode !== undefined, 10_000, 'the close');
    expect(d.closeCode).toBe(1008);
    expect((await admin.post(`/api/admin/users/${daveId}/unblock`)).status).toBe(200);
  });
});
