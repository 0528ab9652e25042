import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '@/api/queries/adminAudit';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, serve } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

/** The contract types `details` as an open object. */
const details = (d: Record<string, unknown>) => d as unknown as AuditEntry['details'];

function entry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: `e${i}`,
    ts: '2026-03-01T10:00:00Z',
    action: 'auth.sign_in',
    user_id: ana.id,
    actor_id: ana.id,
    actor_email: ana.email,
    ip: '203.0.113.7',
    user_agent: 'Firefox',
    details: details({ method: 'google' }),
    ...overrides,
  };
}

/**
 * The log holds `all`, newest first; the server answers like the real one: filtered, the `limit`
 * (default 50) entries older than `before`, and `next_before` (the last id) when the page is full.
 */
function logServer(all: AuditEntry[]) {
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(admin) },
    'GET /api/admin/users': { status: 200, data: { items: [admin, ana], next_cursor: null, total: 2 } },
    'GET /api/admin/audit': (config) => {
      const { limit = 50, action, user_id: userId, before } = (config.params ?? {}) as {
        limit?: number;
        action?: string;
        user_id?: string;
        before?: string;
      };
      const matching = all.filter((e) => (action === undefined || e.action === action) && (userId === undefined || e.user_id === userId));
      const from = before === undefined ? 0 : matching.findIndex((e) => e.id === before) + 1;
      const items = matching.slice(from, from + limit);
      return { status: 200, data: { items, next_before: items.length === limit ? items[items.length - 1]!.id : null } };
    },
  });
  serve(server.adapter);
  return server;
}

const lastParams = (calls: InternalAxiosRequestConfig[]) => calls.filter((c) => c.url === '/api/admin/audit').at(-1)?.params as unknown;

describe('AuditLogPage (/admin/logs)', () => {
  it('shows the entries in words with who, where and the details', async () => {
    logServer([
      entry(1, { action: 'user.balance_changed', actor_id: admin.id, actor_email: admin.email, details: details({ amount_micros: 5_000_000, reason: 'Bonus' }) }),
      entry(2, { action: 'billing.something_new', actor_email: '', ip: '' }),
    ]);
    renderRoute('/admin/logs');
    expect(await screen.findByRole('heading', { level: 1, name: 'Audit log' })).toBeInTheDocument();
    const rows = within(await screen.findByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Balance changed');
    expect(rows[0]).toHaveTextContent('user.balance_changed');
    expect(rows[0]).toHaveTextContent('root@example.com');
    expect(rows[0]).toHaveTextContent('amount_micros: 5000000');
    expect(rows[0]).toHaveTextContent('reason: Bonus');
    expect(rows[0]).toHaveTextContent('203.0.113.7');
    expect(rows[1]).toHaveTextContent('billing.something_new');
    expect(rows[1]).toHaveTextContent('System');
    expect(screen.getByRole('status')).toHaveTextContent('Showing the newest 2 entries.');
    expect(screen.queryByRole('button', { name: 'Load older entries' })).not.toBeInTheDocument();
  });

  it('filters by action and by user on the server', async () => {
    const server = logServer([entry(1), entry(2, { action: 'user.blocked', user_id: admin.id })]);
    renderRoute('/admin/logs');
    await screen.findByRole('table');
    expect(lastParams(server.calls)).toEqual({ limit: 50 });

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Action' }), 'User blocked (user.blocked)');
    await waitFor(() => expect(lastParams(server.calls)).toEqual({ action: 'user.blocked', limit: 50 }));
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2));

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Action' }), 'All actions');
    await userEvent.click(screen.getByRole('combobox', { name: 'About user' }));
    await userEvent.click(await screen.findByRole('option', { name: /ana@example.com/ }));
    await waitFor(() => expect(lastParams(server.calls)).toEqual({ user_id: ana.id, limit: 50 }));
    await waitFor(() => expect(screen.queryByText('User blocked')).not.toBeInTheDocument());
  });

  it('loads older entries 50 at a time, after the last one shown (next_before)', async () => {
    const server = logServer(Array.from({ length: 120 }, (_, i) => entry(i)));
    renderRoute('/admin/logs');
    await screen.findByRole('table');
    expect(screen.getByRole('status')).toHaveTextContent('Showing the newest 50 entries.');
    await userEvent.click(screen.getByRole('button', { name: 'Load older entries' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Showing the newest 100 entries.'));
    expect(lastParams(server.calls)).toEqual({ before: 'e49', limit: 50 });
    await userEvent.click(screen.getByRole('button', { name: 'Load older entries' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Showing the newest 120 entries.'));
    expect(lastParams(server.calls)).toEqual({ before: 'e99', limit: 50 });
    // Each entry once, in order; a page that was not full ends the log.
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(120);
    expect(screen.queryByRole('button', { name: 'Load older entries' })).not.toBeInTheDocument();
  });

  it('starts over from the newest entries when a filter changes', async () => {
    const server = logServer(Array.from({ length: 60 }, (_, i) => entry(i, i % 2 === 0 ? {} : { action: 'user.blocked' })));
    renderRoute('/admin/logs');
    await screen.findByRole('table');
    await userEvent.click(screen.getByRole('button', { name: 'Load older entries' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Showing the newest 60 entries.'));
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Action' }), 'User blocked (user.blocked)');
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Showing the newest 30 entries.'));
    expect(lastParams(server.calls)).toEqual({ action: 'user.blocked', limit: 50 });
    expect(screen.queryByRole('button', { name: 'Load older entries' })).not.toBeInTheDocument();
  });

  it('says when nothing matches', async () => {
    logServer([]);
    renderRoute('/admin/logs');
    expect(await screen.findByText('No entry matches these filters.')).toBeInTheDocument();
  });
});
