import { act, configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { User } from '@/api/queries/auth';
import type { Pod } from '@/api/queries/pods';
import { admin, ana, pod, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

const bob: User = { ...ana, id: '65a000000000000000000003', email: 'bob@example.com', name: 'Bob' };
const anas = pod({ id: '65d000000000000000000001' });
const bobs = pod({
  id: '65d000000000000000000002',
  user_id: bob.id,
  user_email: bob.email,
  name: 'trainer',
  template_id: null,
  template_slug: '',
  template_name: '',
  image: 'ghcr.io/bob/train:2',
  status: 'stopped',
  desired: 'stopped',
  reason: 'StoppedByUser',
  message: 'Stopped on request',
  urls: [],
});

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply);

/** The admin is signed in; GET /api/admin/pods answers with `pods()` filtered like the server does. */
function adminServer(pods: () => Pod[], extra: Record<string, Handler> = {}) {
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(admin) },
    'GET /api/admin/users': { status: 200, data: { items: [admin, ana, bob], next_cursor: null, total: 3 } },
    'GET /api/admin/pods': (config) => {
      const params = (config.params ?? {}) as { status?: string; user_id?: string };
      const items = pods().filter(
        (p) => (params.status === undefined || p.status === params.status) && (params.user_id === undefined || p.user_id === params.user_id),
      );
      return { status: 200, data: { items } };
    },
    ...extra,
  });
  serve(server.adapter);
  return server;
}

function rowOf(name: string): HTMLElement {
  const row = screen.getByText(name, { selector: 'p' }).closest('tr');
  expect(row).not.toBeNull();
  return row!;
}

const podCalls = (calls: InternalAxiosRequestConfig[]) => calls.filter((c) => c.url === '/api/admin/pods');

describe('AdminPodsPage (/admin/pods)', () => {
  it("lists every user's pods with their owner, and filters them by status, user and text", async () => {
    const server = adminServer(() => [anas, bobs]);
    renderRoute('/admin/pods');

    expect(await screen.findByRole('heading', { level: 1, name: 'All pods' })).toBeInTheDocument();
    await screen.findByRole('table');
    expect(rowOf('notebook')).toHaveTextContent('ana@example.com');
    expect(rowOf('notebook')).toHaveTextContent('Running');
    expect(within(rowOf('notebook')).getByRole('link', { name: 'Open lab' })).toHaveAttribute(
      'href',
      'https://notebook-ana-8888.pods.example.com',
    );
    expect(rowOf('trainer')).toHaveTextContent('bob@example.com');
    expect(rowOf('trainer')).toHaveTextContent('Custom image');
    expect(rowOf('trainer')).toHaveTextContent('Reason: StoppedByUser');
    expect(within(rowOf('trainer')).queryByRole('button', { name: 'Stop' })).not.toBeInTheDocument();
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Deploy a pod' })).toHaveAttribute('href', '/admin/pods/deploy');

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'Stopped');
    await waitFor(() => expect(podCalls(server.calls).at(-1)?.params).toEqual({ status: 'stopped' }));
    await waitFor(() => expect(screen.queryByText('notebook', { selector: 'p' })).not.toBeInTheDocument());
    expect(rowOf('trainer')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'All statuses');
    await userEvent.click(screen.getByRole('combobox', { name: 'User' }));
    await userEvent.click(await screen.findByRole('option', { name: /ana@example.com/ }));
    await waitFor(() => expect(podCalls(server.calls).at(-1)?.params).toEqual({ user_id: ana.id }));
    await waitFor(() => expect(screen.queryByText('trainer', { selector: 'p' })).not.toBeInTheDocument());
    expect(rowOf('notebook')).toBeInTheDocument();

    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'nothing-like-this');
    expect(await screen.findByText('No pod matches these filters.')).toBeInTheDocument();
  });

  it('finds pods by owner, template or image in the text filter', async () => {
    adminServer(() => [anas, bobs]);
    renderRoute('/admin/pods');
    await screen.findByRole('table');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search' }), 'GHCR.IO/BOB');
    await waitFor(() => expect(screen.queryByText('notebook', { selector: 'p' })).not.toBeInTheDocument());
    expect(rowOf('trainer')).toBeInTheDocument();
  });

  it("stops another user's pod after confirmation", async () => {
    let pods = [anas, bobs];
    const server = adminServer(() => pods, {
      [`POST /api/pods/${anas.id}/stop`]: () => {
        pods = pods.map((p) => (p.id === anas.id ? { ...p, status: 'stopping', desired: 'stopped' } : p));
        return { status: 200, data: pods[0] };
      },
    });
    renderRoute('/admin/pods');
    await screen.findByRole('table');

    await userEvent.click(within(rowOf('notebook')).getByRole('button', { name: 'Stop' }));
    let dialog = await screen.findByRole('dialog', { name: 'Stop the pod notebook of ana@example.com?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(requested(server.calls).filter((c) => c.startsWith('POST'))).toEqual([]);

    await userEvent.click(within(rowOf('notebook')).getByRole('button', { name: 'Stop' }));
    dialog = await screen.findByRole('dialog', { name: 'Stop the pod notebook of ana@example.com?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Stop pod' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await within(rowOf('notebook')).findByText('Stopping')).toBeInTheDocument();
    expect(requested(server.calls).filter((c) => c.startsWith('POST'))).toEqual([`POST /api/pods/${anas.id}/stop`]);
  });

  it('shows in the dialog why a stop was refused', async () => {
    adminServer(() => [anas], {
      [`POST /api/pods/${anas.id}/stop`]: {
        status: 503,
        data: { error: { code: 'kubernetes_unavailable', message: 'Kubernetes cannot be reached' } },
      },
    });
    renderRoute('/admin/pods');
    await screen.findByRole('table');
    await userEvent.click(within(rowOf('notebook')).getByRole('button', { name: 'Stop' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Stop pod' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Kubernetes cannot be reached');
  });

  it("follows every user's pods live: pod.status changes a row, pod.deleted removes it", async () => {
    let pods = [anas, bobs];
    adminServer(() => pods);
    const sockets = fakeSockets();
    renderRoute('/admin/pods', { createSocket: sockets.factory });
    await screen.findByRole('table');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.latest();
    act(() => socket.open());
    act(() => socket.emit('session.hello', { user_id: admin.id, admin: true }));

    act(() =>
      socket.emit('pod.status', { ...bobs, status: 'failed', reason: 'ErrImagePull', message: 'The image could not be pulled.' }),
    );
    expect(await within(rowOf('trainer')).findByText('Failed')).toBeInTheDocument();
    expect(rowOf('trainer')).toHaveTextContent('The image could not be pulled.');

    pods = [bobs];
    act(() => socket.emit('pod.deleted', { id: anas.id }));
    await waitFor(() => expect(screen.queryByText('notebook', { selector: 'p' })).not.toBeInTheDocument());
    expect(rowOf('trainer')).toBeInTheDocument();

    act(() => socket.serverClose(1001));
    expect(await screen.findByText('Live updates paused: reconnecting…')).toBeInTheDocument();
  });

  it("adds a pod another user deploys at once, where it matches the filter, and refreshes the costs on a charge", async () => {
    let pods = [anas, bobs];
    const server = adminServer(() => pods);
    const sockets = fakeSockets();
    renderRoute('/admin/pods', { createSocket: sockets.factory });
    await screen.findByRole('table');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.latest();
    act(() => socket.open());
    act(() => socket.emit('session.hello', { user_id: admin.id, admin: true }));
    const listed = podCalls(server.calls).length;

    // Bob deploys: the newest pod, first in the table, without asking the server.
    const fresh = pod({
      id: '65d000000000000000000009',
      user_id: bob.id,
      user_email: bob.email,
      name: 'fresh',
      status: 'pending',
      created_at: '2030-01-01T00:00:00Z',
    });
    act(() => socket.emit('pod.status', fresh));
    expect(await screen.findByText('fresh', { selector: 'p' })).toBeInTheDocument();
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('fresh');
    expect(rows[0]).toHaveTextContent('Pending');
    expect(podCalls(server.calls)).toHaveLength(listed);

    // A billing pass charged ana: the costs so far are fetched again.
    pods = [fresh, { ...anas, cost_micros: 9_870_000 }, bobs];
    act(() => socket.emit('balance.changed', { user_id: ana.id, balance_micros: 1_000_000 }));
    await waitFor(() => expect(rowOf('notebook')).toHaveTextContent('€9.87'));
  });

  it('shows the empty state, and an error with a retry', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(admin) },
        'GET /api/admin/users': { status: 200, data: { items: [], next_cursor: null, total: 0 } },
        'GET /api/admin/pods': () =>
          ++replies === 1
            ? { status: 500, data: { error: { code: 'internal', message: 'Something broke', request_id: 'r-1' } } }
            : { status: 200, data: { items: [] } },
      }).adapter,
    );
    renderRoute('/admin/pods');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Something broke');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('Nobody has a pod yet.')).toBeInTheDocument();
  });
});
