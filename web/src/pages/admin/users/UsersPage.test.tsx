import { act, configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { User } from '@/api/queries/auth';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

// The whole app renders (layout, guards): slower than one component on a busy machine.
configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

const bob: User = {
  ...ana,
  id: '65a000000000000000000003',
  email: 'bob@example.com',
  name: 'Bob',
  balance_micros: 250_000,
  blocked: true,
  created_at: '2026-02-01T10:00:00Z',
};

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply);

/** The admin is signed in; the users are `initial`, and block/unblock/role/balance really change them. */
function adminServer(initial: User[], extra: Record<string, Handler> = {}) {
  let users = [...initial];
  const control = {
    /** Someone signs up: the next list has them. */
    add: (user: User) => {
      users = [user, ...users];
    },
  };
  const update = (id: string, change: Partial<User>) => {
    users = users.map((u) => (u.id === id ? { ...u, ...change } : u));
    return users.find((u) => u.id === id)!;
  };
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(admin) },
    'GET /api/admin/users': { status: 200, data: { items: users, next_cursor: null, total: users.length } },
    ...Object.fromEntries(
      initial.flatMap((u) => [
        [`POST /api/admin/users/${u.id}/block`, () => ({ status: 200, data: { user: update(u.id, { blocked: true }) } })],
        [`POST /api/admin/users/${u.id}/unblock`, () => ({ status: 200, data: { user: update(u.id, { blocked: false }) } })],
        [
          `PUT /api/admin/users/${u.id}/role`,
          (config: InternalAxiosRequestConfig) => {
            const { role } = JSON.parse(config.data as string) as { role: User['role'] };
            return {
              status: 200,
              data: { user: update(u.id, { role, unlimited: role === 'admin', balance_micros: role === 'admin' ? null : 0 }) },
            };
          },
        ],
        [
          `POST /api/admin/users/${u.id}/balance`,
          (config: InternalAxiosRequestConfig) => {
            const body = JSON.parse(config.data as string) as { mode: string; amount_micros: number; reason: string };
            const current = users.find((x) => x.id === u.id)!.balance_micros ?? 0;
            const balance = body.mode === 'add' ? current + body.amount_micros : body.amount_micros;
            const user = update(u.id, { balance_micros: balance });
            return {
              status: 200,
              data: {
                user,
                transaction: {
                  id: 't1',
                  user_id: u.id,
                  seq: 2,
                  kind: 'credit',
                  amount_micros: body.amount_micros,
                  usage_micros: 0,
                  balance_after_micros: balance,
                  reason: body.reason,
                  actor_email: admin.email,
                  ts: '2026-03-01T10:00:00Z',
                  pod_id: null,
                },
              },
            };
          },
        ],
      ]),
    ),
    ...extra,
  });
  // The list handler above is a snapshot; answer with the current users instead.
  const table = server;
  serve(async (config) => {
    if (config.method === 'get' && config.url === '/api/admin/users') {
      table.calls.push(config);
      return { status: 200, statusText: '200', data: { items: users, next_cursor: null, total: users.length }, headers: {}, config };
    }
    return table.adapter(config);
  });
  return Object.assign(server, control);
}

function rowOf(email: string): HTMLElement {
  const row = screen.getByText(email).closest('tr');
  expect(row).not.toBeNull();
  return row!;
}

const posts = (calls: InternalAxiosRequestConfig[]) => requested(calls).filter((c) => !c.startsWith('GET'));

describe('UsersPage (/admin/users)', () => {
  it('lists the users with role, balance and status; the admin cannot block or demote themselves', async () => {
    const server = adminServer([admin, ana, bob]);
    renderRoute('/admin/users');

    expect(await screen.findByRole('heading', { level: 1, name: 'Users' })).toBeInTheDocument();
    const table = await screen.findByRole('table');
    expect(within(table).getAllByRole('row').slice(1)).toHaveLength(3);
    expect(screen.getByTestId('user-count')).toHaveTextContent('3 users');

    const anaRow = rowOf('ana@example.com');
    expect(anaRow).toHaveTextContent('Ana García');
    expect(anaRow).toHaveTextContent('Client');
    expect(anaRow).toHaveTextContent('€10.00');
    expect(anaRow).toHaveTextContent('Active');
    expect(within(anaRow).getByRole('button', { name: 'Add credit' })).toHaveAccessibleDescription(/ana@example.com/);
    expect(within(anaRow).getByRole('button', { name: 'Block' })).toBeInTheDocument();
    expect(within(anaRow).getByRole('button', { name: 'Make administrator' })).toBeInTheDocument();

    const bobRow = rowOf('bob@example.com');
    expect(bobRow).toHaveTextContent('Blocked');
    expect(within(bobRow).getByRole('button', { name: 'Unblock' })).toBeInTheDocument();
    expect(within(bobRow).queryByRole('button', { name: 'Block' })).not.toBeInTheDocument();

    const meRow = rowOf('root@example.com');
    expect(meRow).toHaveTextContent('You');
    expect(meRow).toHaveTextContent('Administrator');
    expect(meRow).toHaveTextContent('∞');
    expect(within(meRow).queryByRole('button', { name: 'Block' })).not.toBeInTheDocument();
    expect(within(meRow).queryByRole('button', { name: 'Add credit' })).not.toBeInTheDocument();
    expect(within(meRow).queryByRole('button', { name: 'Make client' })).not.toBeInTheDocument();

    const first = server.calls.find((c) => c.url === '/api/admin/users');
    expect(first?.params).toEqual({ sort: 'created_at', order: 'desc' });
  });

  it('searches, filters and sorts on the server', async () => {
    const server = adminServer([admin, ana, bob]);
    renderRoute('/admin/users');
    await screen.findByRole('table');
    const lastParams = () => server.calls.filter((c) => c.url === '/api/admin/users').at(-1)?.params as Record<string, unknown>;

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'bob');
    await waitFor(() => expect(lastParams()).toMatchObject({ search: 'bob' }));

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'Blocked');
    await waitFor(() => expect(lastParams()).toMatchObject({ search: 'bob', blocked: true }));

    const balanceHeader = screen.getByRole('columnheader', { name: /Balance/ });
    expect(balanceHeader).toHaveAttribute('aria-sort', 'none');
    await userEvent.click(within(balanceHeader).getByRole('button'));
    await waitFor(() => expect(lastParams()).toMatchObject({ sort: 'balance', order: 'asc' }));
    expect(screen.getByRole('columnheader', { name: /Balance/ })).toHaveAttribute('aria-sort', 'ascending');
    await userEvent.click(within(screen.getByRole('columnheader', { name: /Balance/ })).getByRole('button'));
    await waitFor(() => expect(lastParams()).toMatchObject({ sort: 'balance', order: 'desc' }));
  });

  it('adds credit with a reason, and shows the new balance', async () => {
    const server = adminServer([admin, ana]);
    renderRoute('/admin/users');
    await screen.findByRole('table');

    await userEvent.click(within(rowOf('ana@example.com')).getByRole('button', { name: 'Add credit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change the balance of ana@example.com' });
    expect(dialog).toHaveTextContent('Current balance: €10.00');

    // Nothing is sent without an amount and a reason.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Change balance' }));
    expect(within(dialog).getByText('Enter an amount other than zero.')).toBeInTheDocument();
    expect(within(dialog).getByText('Say why, in at least 3 characters.')).toBeInTheDocument();
    expect(posts(server.calls)).toEqual([]);

    await userEvent.type(within(dialog).getByRole('textbox', { name: /Amount/ }), '5.5');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /Reason/ }), 'Welcome bonus');
    expect(dialog).toHaveTextContent('Balance afterwards: €15.50');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Change balance' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const call = server.calls.find((c) => c.method === 'post');
    expect(call?.url).toBe(`/api/admin/users/${ana.id}/balance`);
    expect(JSON.parse(call?.data as string)).toEqual({ mode: 'add', amount_micros: 5_500_000, reason: 'Welcome bonus' });
    expect(rowOf('ana@example.com')).toHaveTextContent('€15.50');
    expect(screen.getByRole('status')).toHaveTextContent('The balance of ana@example.com is now €15.50.');
  });

  it("shows the server's validation message on the field it names", async () => {
    adminServer([admin, ana], {
      [`POST /api/admin/users/${ana.id}/balance`]: {
        status: 400,
        data: {
          error: {
            code: 'validation_failed',
            message: 'The request has invalid values',
            details: { fields: [{ field: 'reason', message: 'must be at most 500 characters long' }] },
          },
        },
      },
    });
    renderRoute('/admin/users');
    await screen.findByRole('table');
    await userEvent.click(within(rowOf('ana@example.com')).getByRole('button', { name: 'Add credit' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Set to' }));
    await userEvent.type(within(dialog).getByRole('textbox', { name: /New balance/ }), '3');
    await userEvent.type(within(dialog).getByRole('textbox', { name: /Reason/ }), 'Correction');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Set balance' }));

    const reason = within(dialog).getByRole('textbox', { name: /Reason/ });
    await waitFor(() => expect(reason).toHaveAccessibleDescription(/must be at most 500 characters long/));
    expect(reason).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('asks before blocking: Cancel sends nothing, confirming blocks; unblocking needs no confirmation', async () => {
    const server = adminServer([admin, ana]);
    renderRoute('/admin/users');
    await screen.findByRole('table');

    await userEvent.click(within(rowOf('ana@example.com')).getByRole('button', { name: 'Block' }));
    let dialog = await screen.findByRole('dialog', { name: 'Block ana@example.com?' });
    expect(dialog).toHaveTextContent('They are signed out at once');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(posts(server.calls)).toEqual([]);

    await userEvent.click(within(rowOf('ana@example.com')).getByRole('button', { name: 'Block' }));
    dialog = await screen.findByRole('dialog', { name: 'Block ana@example.com?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Block user' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(within(rowOf('ana@example.com')).getByText('Blocked')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('ana@example.com is blocked and was signed out.');

    await userEvent.click(within(rowOf('ana@example.com')).getByRole('button', { name: 'Unblock' }));
    expect(await within(rowOf('ana@example.com')).findByRole('button', { name: 'Block' })).toBeInTheDocument();
    expect(posts(server.calls)).toEqual([`POST /api/admin/users/${ana.id}/block`, `POST /api/admin/users/${ana.id}/unblock`]);
  });

  it('changes a role after confirmation, and shows why the server refused', async () => {
    const server = adminServer([admin, ana, bob], {
      [`PUT /api/admin/users/${bob.id}/role`]: {
        status: 409,
        data: { error: { code: 'conflict', message: 'Blocked users cannot become administrators' } },
      },
    });
    renderRoute('/admin/users');
    await screen.findByRole('table');

    await userEvent.click(within(rowOf('ana@example.com')).getByRole('button', { name: 'Make administrator' }));
    let dialog = await screen.findByRole('dialog', { name: 'Make ana@example.com an administrator?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Make administrator' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(rowOf('ana@example.com')).toHaveTextContent('Administrator');
    expect(JSON.parse(server.calls.find((c) => c.method === 'put')?.data as string)).toEqual({ role: 'admin' });

    await userEvent.click(within(rowOf('bob@example.com')).getByRole('button', { name: 'Make administrator' }));
    dialog = await screen.findByRole('dialog', { name: 'Make bob@example.com an administrator?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Make administrator' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Blocked users cannot become administrators');
    expect(rowOf('bob@example.com')).toHaveTextContent('Client');
  });

  it('shows a user who signs up meanwhile, and counts them (user.signed_up)', async () => {
    const server = adminServer([admin]);
    const sockets = fakeSockets();
    renderRoute('/admin/users', { createSocket: sockets.factory });
    await screen.findByRole('table');
    expect(screen.getByTestId('user-count')).toHaveTextContent('1 user');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    act(() => sockets.latest().emit('session.hello', { user_id: admin.id, admin: true }));

    server.add(ana);
    act(() => sockets.latest().emit('user.signed_up', { user_id: ana.id, email: ana.email, name: ana.name }));
    expect(await screen.findByText('ana@example.com')).toBeInTheDocument();
    expect(screen.getByTestId('user-count')).toHaveTextContent('2 users');
  });

  it('loads the next page with the cursor', async () => {
    const page2: User = { ...bob, id: '65a000000000000000000009', email: 'zoe@example.com', blocked: false };
    const calls: InternalAxiosRequestConfig[] = [];
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(admin) },
        'GET /api/admin/users': (config) => {
          calls.push(config);
          const cursor = (config.params as { cursor?: string }).cursor;
          return cursor === 'c2'
            ? { status: 200, data: { items: [page2], next_cursor: null, total: 3 } }
            : { status: 200, data: { items: [admin, ana], next_cursor: 'c2', total: 3 } };
        },
      }).adapter,
    );
    renderRoute('/admin/users');
    await screen.findByRole('table');
    // The total counts every page, not only the rows shown.
    expect(screen.getByTestId('user-count')).toHaveTextContent('3 users');
    await userEvent.click(screen.getByRole('button', { name: 'Load more users' }));
    expect(await screen.findByText('zoe@example.com')).toBeInTheDocument();
    expect(screen.getByText('ana@example.com')).toBeInTheDocument();
    expect(calls.at(-1)?.params).toMatchObject({ cursor: 'c2' });
    expect(screen.queryByRole('button', { name: 'Load more users' })).not.toBeInTheDocument();
  });

  it('shows the empty state, and an error with a retry', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(admin) },
        'GET /api/admin/users': () =>
          ++replies === 1
            ? { status: 503, data: { error: { code: 'database_unavailable', message: 'Database unavailable' } } }
            : { status: 200, data: { items: [], next_cursor: null, total: 0 } },
      }).adapter,
    );
    renderRoute('/admin/users');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Database unavailable');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('No user matches these filters.')).toBeInTheDocument();
  });

  it('is not for clients', async () => {
    const server = fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(ana) } });
    serve(server.adapter);
    renderRoute('/admin/users');
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    expect(requested(server.calls)).not.toContain('GET /api/admin/users');
  });
});
