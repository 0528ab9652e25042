import { describe, expect, it } from 'vitest';
import { apiUrl } from './helpers/env';
import { expectError } from './helpers/http';
import { validateAgainst } from './helpers/schema';
import { Client } from './helpers/session';

// User administration on the shared test server: listing, balance changes through the ledger, roles.

const ADMIN = 'lolerodiez@gmail.com';
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function signedIn(email: string): Promise<Client> {
  const c = new Client(apiUrl);
  await c.devLogin(email);
  return c;
}

async function userId(c: Client): Promise<string> {
  return validateAgainst('VerifyResponse', (await c.call('/api/auth/verify')).json).user.id;
}

describe('admin: users', () => {
  it('lists with search, filters and sort; a cursor page is stable when users are added meanwhile', async () => {
    const admin = await signedIn(ADMIN);
    const emails = [0, 1, 2, 3, 4].map((i) => `page-${run}-${i}@example.com`);
    for (const e of emails) {await signedIn(e);}

    const page = async (cursor?: string) => {
      const q = new URLSearchParams({ search: `page-${run}`, sort: 'email', order: 'asc', limit: '2' });
      if (cursor) {q.set('cursor', cursor);}
      const res = await admin.call(`/api/admin/users?${q.toString()}`);
      expect(res.status, res.text).toBe(200);
      return validateAgainst('UserPage', res.json);
    };
    const p1 = await page();
    expect(p1.items.map((u) => u.email)).toEqual(emails.slice(0, 2));
    expect(p1.total, 'every match, not the page').toBe(5);
    // New users that sort before and after the cursor do not shift the next pages.
    await signedIn(`page-${run}-0a@example.com`);
    await signedIn(`page-${run}-9@example.com`);
    const p2 = await page(p1.next_cursor ?? '');
    expect(p2.items.map((u) => u.email)).toEqual(emails.slice(2, 4));
    const p3 = await page(p2.next_cursor ?? '');
    expect(p3.items.map((u) => u.email)).toEqual([emails[4], `page-${run}-9@example.com`]);
    expect(p3.next_cursor, 'the last page has no cursor').toBeNull();
    expect(p3.total).toBe(7);

    const admins = validateAgainst('UserPage', (await admin.call('/api/admin/users?role=admin&limit=200')).json);
    expect(admins.items.every((u) => u.role === 'admin')).toBe(true);
    expect(admins.items.map((u) => u.email)).toContain(ADMIN);
    const desc = validateAgainst('UserPage', (await admin.call(`/api/admin/users?search=page-${run}&sort=email&order=desc&limit=1`)).json);
    expect(desc.items[0]?.email).toBe(`page-${run}-9@example.com`);
  });

  it('pages the audit log with before / next_before and refuses a bad cursor', async () => {
    const admin = await signedIn(ADMIN);
    for (const i of [0, 1, 2]) {await signedIn(`audit-${run}-${i}@example.com`);}
    const page = async (before?: string) => {
      const q = new URLSearchParams({ limit: '2' });
      if (before) {q.set('before', before);}
      const res = await admin.call(`/api/admin/audit?${q.toString()}`);
      expect(res.status, res.text).toBe(200);
      return res.json as { items: { id: string; ts: string }[]; next_before: string | null };
    };
    const p1 = await page();
    expect(p1.items).toHaveLength(2);
    expect(p1.next_before).toBe(p1.items[1]?.id);
    const p2 = await page(p1.next_before ?? '');
    expect(p2.items).toHaveLength(2);
    const ids = [...p1.items, ...p2.items].map((e) => e.id);
    expect(new Set(ids).size, 'no entry twice across pages').toBe(4);
    expect(p2.items[0]!.ts <= p1.items[1]!.ts, 'older entries on the next page').toBe(true);

    expectError(await admin.call('/api/admin/audit?before=nope'), 400, 'validation_failed');
    expectError(await admin.call(`/api/admin/audit?before=${'0'.repeat(24)}`), 400, 'validation_failed');
    const client = await signedIn(`audit-${run}-client@example.com`);
    expectError(await client.call(`/api/admin/audit?before=${p1.next_before}`), 403, 'forbidden');
  });

  it('refuses bad queries with per-field errors', async () => {
    const admin = await signedIn(ADMIN);
    for (const [q, field] of [
      ['sort=password', 'sort'],
      ['order=sideways', 'order'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['role=root', 'role'],
      ['blocked=maybe', 'blocked'],
      ['cursor=%%%', 'cursor'],
      ['cursor=eyJ4IjoxfQ', 'cursor'],
      ['unknown=1', 'unknown'],
    ] as const) {
      const err = expectError(await admin.call(`/api/admin/users?${q}`), 400, 'validation_failed');
      expect(JSON.stringify(err.error.details), q).toContain(`"${field}"`);
    }
  });

  it('balance changes go through the ledger with the reason and the admin', async () => {
    const admin = await signedIn(ADMIN);
    const client = await signedIn(`balance-${run}@example.com`);
    const id = await userId(client);
    const add = await admin.post(`/api/admin/users/${id}/balance`, { mode: 'add', amount_micros: 2_500_000, reason: 'Promo' });
    expect(add.status, add.text).toBe(200);
    expect(add.json).toMatchObject({ user: { balance_micros: 12_500_000 }, transaction: { kind: 'credit', amount_micros: 2_500_000, reason: 'Promo', actor_email: ADMIN, seq: 2 } });
    const set = await admin.post(`/api/admin/users/${id}/balance`, { mode: 'set', amount_micros: 1_000_000, reason: 'Correction' });
    expect(set.json).toMatchObject({ user: { balance_micros: 1_000_000 }, transaction: { kind: 'set', amount_micros: -11_500_000, balance_after_micros: 1_000_000, seq: 3 } });
    const detail = validateAgainst('UserDetail', (await admin.call(`/api/admin/users/${id}`)).json);
    expect(detail.transactions.map((t) => [t.seq, t.kind, t.amount_micros])).toEqual([
      [3, 'set', -11_500_000],
      [2, 'credit', 2_500_000],
      [1, 'initial', 10_000_000],
    ]);
    expect(detail.sessions.length).toBeGreaterThan(0);
    const me = validateAgainst('VerifyResponse', (await client.call('/api/auth/verify')).json);
    expect(me.user.balance_micros).toBe(1_000_000);

    for (const [body, field] of [
      [{ mode: 'add', amount_micros: 0, reason: 'zero' }, 'amount_micros'],
      [{ mode: 'set', amount_micros: -1, reason: 'neg' }, 'amount_micros'],
      [{ mode: 'add', amount_micros: 1, reason: '' }, 'reason'],
      [{ mode: 'double', amount_micros: 1, reason: 'x y z' }, 'mode'],
      [{ mode: 'add', amount_micros: 1.5, reason: 'x y z' }, 'amount_micros'],
    ] as const) {
      const err = expectError(await admin.post(`/api/admin/users/${id}/balance`, body), 400, 'validation_failed');
      expect(JSON.stringify(err.error.details)).toContain(`"${field}"`);
    }
    expectError(await admin.post('/api/admin/users/nope/balance', { mode: 'add', amount_micros: 1, reason: 'x y z' }), 404, 'not_found');
    expectError(await client.post(`/api/admin/users/${id}/balance`, { mode: 'add', amount_micros: 1, reason: 'self' }), 403, 'forbidden');
  });

  it('changes roles at once, but never removes your own admin role', async () => {
    const admin = await signedIn(ADMIN);
    const client = await signedIn(`role-${run}@example.com`);
    const id = await userId(client);
    expectError(await client.call('/api/admin/users'), 403, 'forbidden');
    const promoted = await admin.call(`/api/admin/users/${id}/role`, { method: 'PUT', body: JSON.stringify({ role: 'admin' }) });
    expect(promoted.status, promoted.text).toBe(200);
    expect((await client.call('/api/admin/users?limit=1')).status, 'admin on the next request').toBe(200);
    expect((await admin.call(`/api/admin/users/${id}/role`, { method: 'PUT', body: JSON.stringify({ role: 'client' }) })).status).toBe(200);
    expectError(await client.call('/api/admin/users'), 403, 'forbidden');
    const self = await userId(admin);
    expectError(await admin.call(`/api/admin/users/${self}/role`, { method: 'PUT', body: JSON.stringify({ role: 'client' }) }), 409, 'conflict');
    expectError(await admin.call(`/api/admin/users/${id}/role`, { method: 'PUT', body: JSON.stringify({ role: 'root' }) }), 400, 'validation_failed');
  });

  it('anonymous callers get 401', async () => {
    expectError(await new Client(apiUrl).call('/api/admin/users'), 401, 'unauthorized');
  });
});
