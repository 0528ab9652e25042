import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Notification } from '@/api/queries/notifications';
import { ana, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { fakeServer, renderRoute, requested, serve } from '@/test/render';

function notification(overrides: Partial<Notification> & Pick<Notification, 'id'>): Notification {
  return {
    user_id: ana.id,
    kind: 'low_balance',
    message: 'Your balance lasts less than 60 minutes.',
    data: {},
    created_at: '2026-03-01T10:00:00Z',
    read: false,
    ...overrides,
  };
}

const low = notification({ id: '65e000000000000000000001' });
const failed = notification({
  id: '65e000000000000000000002',
  kind: 'pod_failed',
  message: 'Your pod notebook failed: OOMKilled.',
  created_at: '2026-03-01T11:00:00Z',
});

/** ana signed in, with notifications that the read endpoints really mark read. */
function signedInServer(initial: Notification[]) {
  let items = [...initial];
  let balance = ana.balance_micros;
  const server = fakeServer({
    'GET /api/auth/verify': () => ({ status: 200, data: verified({ ...ana, balance_micros: balance }) }),
    'GET /api/pods': { status: 200, data: { items: [] } },
    'GET /api/notifications': (config) => {
      const unreadOnly = (config.params as { unread?: string } | undefined)?.unread === 'true';
      const unread = items.filter((n) => !n.read);
      return { status: 200, data: { items: unreadOnly ? unread : items, unread: unread.length, next_before: null } };
    },
    'POST /api/notifications/read-all': () => {
      const marked = items.filter((n) => !n.read).length;
      items = items.map((n) => ({ ...n, read: true }));
      return { status: 200, data: { marked } };
    },
    ...Object.fromEntries(
      initial.map((n) => [
        `POST /api/notifications/${n.id}/read`,
        () => {
          items = items.map((other) => (other.id === n.id ? { ...other, read: true } : other));
          return { status: 204 };
        },
      ]),
    ),
  });
  serve(server.adapter);
  return {
    server,
    add: (n: Notification) => {
      items = [n, ...items];
    },
    setBalance: (micros: number) => {
      balance = micros;
    },
  };
}

describe('notifications (header bell and toasts)', () => {
  it('shows how many are unread and lists them; one or all can be marked read', async () => {
    const { server } = signedInServer([failed, low]);
    renderRoute('/client/pods');

    const bell = await screen.findByRole('button', { name: 'Notifications: 2 unread' });
    await userEvent.click(bell);
    const dialog = await screen.findByRole('dialog', { name: 'Notifications' });
    const list = within(dialog).getByRole('list', { name: 'Unread notifications' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Pod failed');
    expect(items[0]).toHaveTextContent('Your pod notebook failed: OOMKilled.');
    expect(items[1]).toHaveTextContent('Low balance');

    const markFirst = within(items[0]!).getByRole('button', { name: 'Mark as read' });
    expect(markFirst).toHaveAccessibleDescription('Your pod notebook failed: OOMKilled.');
    await userEvent.click(markFirst);
    expect(await screen.findByRole('button', { name: 'Notifications: 1 unread' })).toBeInTheDocument();
    await waitFor(() => expect(within(dialog).getAllByRole('listitem')).toHaveLength(1));
    expect(requested(server.calls)).toContain(`POST /api/notifications/${failed.id}/read`);

    await userEvent.click(within(dialog).getByRole('button', { name: 'Mark all as read' }));
    expect(await within(dialog).findByText('You are all caught up.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Notifications' })).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Mark all as read' })).toBeDisabled();
    expect(requested(server.calls)).toContain('POST /api/notifications/read-all');
  });

  it('closes the list with Escape', async () => {
    signedInServer([low]);
    renderRoute('/client/pods');
    await userEvent.click(await screen.findByRole('button', { name: 'Notifications: 1 unread' }));
    expect(await screen.findByRole('dialog', { name: 'Notifications' })).toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Notifications' })).not.toBeInTheDocument());
  });

  it('shows a toast for a notification.created event, and the bell counts it', async () => {
    const { add } = signedInServer([]);
    const sockets = fakeSockets();
    renderRoute('/client/pods', { createSocket: sockets.factory, language: 'es' });
    expect(await screen.findByRole('button', { name: 'Notificaciones' })).toBeInTheDocument();
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());

    add(failed);
    act(() => sockets.latest().emit('notification.created', failed));
    const toast = (await screen.findByText('Un pod ha fallado')).closest('[role="alert"]');
    expect(toast).not.toBeNull();
    expect(toast).toHaveTextContent('Your pod notebook failed: OOMKilled.');
    expect(await screen.findByRole('button', { name: 'Notificaciones: 1 sin leer' })).toBeInTheDocument();
  });

  it("writes each notification in the user's language from its kind and data, in the bell and in toasts", async () => {
    const culled = notification({
      id: '65e000000000000000000003',
      kind: 'pod_culled',
      message: 'Your pod notebook was stopped: Stopped after 30 minutes without activity.',
      data: { pod_id: '65d000000000000000000001', pod_name: 'notebook' } as unknown as Notification['data'],
    });
    const { add } = signedInServer([culled]);
    const sockets = fakeSockets();
    renderRoute('/client/pods', { createSocket: sockets.factory, language: 'es' });

    await userEvent.click(await screen.findByRole('button', { name: 'Notificaciones: 1 sin leer' }));
    const dialog = await screen.findByRole('dialog', { name: 'Notificaciones' });
    const [item] = within(dialog).getAllByRole('listitem');
    expect(item).toHaveTextContent('Pod inactivo detenido');
    expect(item).toHaveTextContent('Tu pod notebook se ha detenido porque nadie lo usaba desde hacía un rato');
    expect(item).not.toHaveTextContent('Your pod');
    expect(within(item!).getByRole('button', { name: 'Marcar como leída' })).toHaveAccessibleDescription(/^Tu pod notebook se ha detenido/);
    await userEvent.keyboard('{Escape}');

    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    const out = notification({
      id: '65e000000000000000000004',
      kind: 'out_of_credit',
      message: 'Your balance ran out (€0.00): your running pods were stopped.',
      data: { balance_micros: 0, burn_rate_micros_per_hour: 500_000, runway_seconds: 0, threshold_minutes: 0 } as unknown as Notification['data'],
    });
    add(out);
    act(() => sockets.latest().emit('notification.created', out));
    const toast = (await screen.findByText('Sin saldo')).closest('[role="alert"]');
    // toHaveTextContent normalises whitespace: the no-break space before € is a space here.
    expect(toast).toHaveTextContent('Se agotó tu saldo (0,00 €): tus pods en marcha se han detenido');
  });

  it("shows no toast for another user's notification (an admin's socket gets everyone's)", async () => {
    signedInServer([]);
    const sockets = fakeSockets();
    renderRoute('/client/pods', { createSocket: sockets.factory });
    await screen.findByRole('button', { name: 'Notifications' });
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    act(() => sockets.latest().emit('session.hello', { user_id: ana.id, admin: false }));
    act(() => sockets.latest().emit('notification.created', { ...failed, user_id: '65a0000000000000000000ff' }));
    act(() => sockets.latest().emit('notification.created', { ...low, message: 'Own warning' }));
    expect(await screen.findByText('Own warning')).toBeInTheDocument();
    expect(screen.queryByText('Your pod notebook failed: OOMKilled.')).not.toBeInTheDocument();
  });

  it('updates the balance in the header on balance.changed', async () => {
    const { setBalance } = signedInServer([]);
    const sockets = fakeSockets();
    renderRoute('/client/pods', { createSocket: sockets.factory });
    expect(await screen.findByRole('link', { name: 'Balance: €10.00' })).toBeInTheDocument();
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    setBalance(7_250_000);
    act(() => sockets.latest().emit('balance.changed', { user_id: ana.id, balance_micros: 7_250_000 }));
    expect(await screen.findByRole('link', { name: 'Balance: €7.25' })).toHaveTextContent('€7.25');
  });
});
