import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Pod } from '@/api/queries/pods';
import { ana, pod, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

const notebook = pod({ id: '65d000000000000000000001' });
const custom = pod({
  id: '65d000000000000000000002',
  name: 'api-server',
  template_id: null,
  template_slug: '',
  template_name: '',
  image: 'ghcr.io/ana/api:1.2',
  status: 'stopped',
  desired: 'stopped',
  urls: [{ port: 8080, name: '', protocol: 'http', url: 'https://api-server-ana-8080.pods.example.com' }],
  cost_micros: 3_456_789,
});
const broken = pod({
  id: '65d000000000000000000003',
  name: 'broken',
  status: 'failed',
  reason: 'ErrImagePull',
  message: 'The image quay.io/nope:latest could not be pulled.',
  urls: [],
  cost_micros: 0,
});

/** A server where ana is signed in and owns `initial`; DELETE, stop and start really change them. */
function signedInServer(initial: Pod[], extra: Record<string, FakeReply> = {}) {
  let pods = [...initial];
  const update = (id: string, change: Partial<Pod>) => {
    pods = pods.map((p) => (p.id === id ? { ...p, ...change } : p));
    return { status: 200, data: pods.find((p) => p.id === id) };
  };
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(ana) },
    'GET /api/pods': () => ({ status: 200, data: { items: pods } }),
    ...Object.fromEntries(
      initial.flatMap((p) => [
        [
          `DELETE /api/pods/${p.id}`,
          () => {
            pods = pods.filter((other) => other.id !== p.id);
            return { status: 204 };
          },
        ],
        [`POST /api/pods/${p.id}/stop`, () => update(p.id, { status: 'stopping', desired: 'stopped' })],
        [`POST /api/pods/${p.id}/start`, () => update(p.id, { status: 'pending', desired: 'running' })],
      ]),
    ),
    ...extra,
  });
  serve(server.adapter);
  return server;
}

function rowOf(name: string): HTMLElement {
  const row = screen.getByRole('link', { name }).closest('tr');
  expect(row).not.toBeNull();
  return row!;
}

describe('PodsPage (/client/pods)', () => {
  it('lists the pods with their template or image, status, cost and links', async () => {
    signedInServer([notebook, custom]);
    renderRoute('/client/pods');

    expect(await screen.findByRole('heading', { level: 1, name: 'Your pods' })).toBeInTheDocument();
    const rows = within(await screen.findByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);

    const running = rowOf('notebook');
    expect(running).toHaveTextContent('Jupyter Lab');
    expect(running).toHaveTextContent('quay.io/jupyter/base-notebook:2026-01-01');
    expect(within(running).getByText('Running')).toBeInTheDocument();
    expect(running).toHaveTextContent('€1.25');
    expect(running).toHaveTextContent('€0.50/h');
    const open = within(running).getByRole('link', { name: 'Open lab' });
    expect(open).toHaveAttribute('href', 'https://notebook-ana-8888.pods.example.com');
    expect(open).toHaveAttribute('target', '_blank');
    expect(open.getAttribute('rel')).toContain('noopener');
    expect(open).toHaveAccessibleDescription('notebook');
    expect(within(running).getByRole('button', { name: 'Stop' })).toBeInTheDocument();
    expect(within(running).queryByRole('button', { name: 'Start' })).not.toBeInTheDocument();

    const stopped = rowOf('api-server');
    expect(stopped).toHaveTextContent('Custom image');
    expect(stopped).toHaveTextContent('ghcr.io/ana/api:1.2');
    expect(within(stopped).getByText('Stopped')).toBeInTheDocument();
    expect(stopped).toHaveTextContent('€3.46');
    // A stopped pod's URLs answer nothing: no link until it runs again.
    expect(within(stopped).queryByRole('link', { name: /^Open/ })).not.toBeInTheDocument();
    // The name leads to the pod's page.
    expect(within(stopped).getByRole('link', { name: 'api-server' })).toHaveAttribute('href', `/client/pods/${custom.id}`);
    expect(within(stopped).getByRole('button', { name: 'Start' })).toHaveAccessibleDescription('api-server');
    expect(within(stopped).queryByRole('button', { name: 'Stop' })).not.toBeInTheDocument();
  });

  it('shows why a pod failed, and offers to start it again', async () => {
    signedInServer([broken]);
    renderRoute('/client/pods', { language: 'es' });

    await screen.findByRole('table');
    const row = rowOf('broken');
    expect(within(row).getByText('Fallido')).toBeInTheDocument();
    expect(within(row).getByText('The image quay.io/nope:latest could not be pulled.')).toBeInTheDocument();
    expect(within(row).getByText('Motivo: ErrImagePull')).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Arrancar' })).toBeInTheDocument();
    expect(row).toHaveTextContent('0,00 €');
  });

  it('says so when the user has no pods', async () => {
    signedInServer([]);
    renderRoute('/client/pods');
    expect(await screen.findByText('You have no pods yet.')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows the error with a retry when the list cannot be loaded', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana) },
        'GET /api/pods': () =>
          ++replies === 1
            ? { status: 500, data: { error: { code: 'internal', message: 'Database unavailable', request_id: 'r-9' } } }
            : { status: 200, data: { items: [notebook] } },
      }).adapter,
    );
    renderRoute('/client/pods');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Database unavailable');
    expect(alert).toHaveTextContent('Request id: r-9');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('table')).toBeInTheDocument();
  });

  it('asks for confirmation before deleting: Cancel keeps the pod, confirming deletes it', async () => {
    const server = signedInServer([notebook, custom]);
    renderRoute('/client/pods');
    await screen.findByRole('table');

    await userEvent.click(within(rowOf('notebook')).getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the pod notebook?' });
    expect(dialog).toHaveTextContent('Its workspace is kept');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(requested(server.calls).filter((c) => c.startsWith('DELETE'))).toEqual([]);

    await userEvent.click(within(rowOf('notebook')).getByRole('button', { name: 'Delete' }));
    await userEvent.click(
      within(await screen.findByRole('dialog', { name: 'Delete the pod notebook?' })).getByRole('button', {
        name: 'Delete pod',
      }),
    );

    await waitFor(() => expect(screen.queryByRole('link', { name: 'notebook' })).not.toBeInTheDocument());
    expect(requested(server.calls).filter((c) => c.startsWith('DELETE'))).toEqual([`DELETE /api/pods/${notebook.id}`]);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'api-server' })).toBeInTheDocument();
  });

  it('closes the confirmation with Escape, from the keyboard', async () => {
    const server = signedInServer([notebook]);
    renderRoute('/client/pods');
    await screen.findByRole('table');

    within(rowOf('notebook')).getByRole('button', { name: 'Delete' }).focus();
    await userEvent.keyboard('{Enter}');
    expect(await screen.findByRole('dialog', { name: 'Delete the pod notebook?' })).toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(requested(server.calls).filter((c) => c.startsWith('DELETE'))).toEqual([]);
  });

  it('stops and starts a pod, showing the status the server answers with', async () => {
    const server = signedInServer([notebook, custom]);
    renderRoute('/client/pods');
    await screen.findByRole('table');

    await userEvent.click(within(rowOf('notebook')).getByRole('button', { name: 'Stop' }));
    expect(await within(rowOf('notebook')).findByText('Stopping')).toBeInTheDocument();
    expect(within(rowOf('notebook')).queryByRole('link', { name: /^Open/ })).not.toBeInTheDocument();

    await userEvent.click(within(rowOf('api-server')).getByRole('button', { name: 'Start' }));
    expect(await within(rowOf('api-server')).findByText('Pending')).toBeInTheDocument();
    expect(requested(server.calls).filter((c) => c.startsWith('POST'))).toEqual([
      `POST /api/pods/${notebook.id}/stop`,
      `POST /api/pods/${custom.id}/start`,
    ]);
  });

  it("shows why an action was refused (the server's message)", async () => {
    signedInServer([custom], {
      [`POST /api/pods/${custom.id}/start`]: {
        status: 402,
        data: { error: { code: 'insufficient_balance', message: 'Your balance does not cover this pod.' } },
      },
    });
    renderRoute('/client/pods');
    await screen.findByRole('table');
    await userEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Your balance does not cover this pod.');
  });

  it('follows the live updates: a pod.status event changes the row, pod.deleted removes it', async () => {
    signedInServer([notebook, custom]);
    const sockets = fakeSockets();
    renderRoute('/client/pods', { createSocket: sockets.factory });
    await screen.findByRole('table');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.latest();
    act(() => socket.open());

    act(() => socket.emit('pod.status', { ...notebook, status: 'failed', reason: 'OOMKilled', message: 'Out of memory' }));
    expect(await within(rowOf('notebook')).findByText('Failed')).toBeInTheDocument();
    expect(within(rowOf('notebook')).getByText('Out of memory')).toBeInTheDocument();

    act(() => socket.emit('pod.deleted', { id: custom.id }));
    await waitFor(() => expect(screen.queryByRole('link', { name: 'api-server' })).not.toBeInTheDocument());

    act(() => socket.serverClose(1001));
    expect(await screen.findByText('Live updates paused: reconnecting…')).toBeInTheDocument();
  });

  it('shows the cost so far once a stopped run is charged (balance.changed), even if a pod.status had the old one', async () => {
    let charged = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana) },
        'GET /api/pods': () => ({ status: 200, data: { items: [{ ...notebook, status: 'stopped', cost_micros: charged }] } }),
      }).adapter,
    );
    const sockets = fakeSockets();
    renderRoute('/client/pods', { createSocket: sockets.factory });
    await screen.findByRole('table');
    expect(rowOf('notebook')).toHaveTextContent('€0.00');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.latest();
    act(() => socket.open());
    act(() => socket.emit('session.hello', { user_id: ana.id, admin: false }));

    // The server settles the run (balance.changed), then sends the stop's record, made before.
    charged = 1_230_000;
    act(() => socket.emit('balance.changed', { user_id: ana.id, balance_micros: 8_770_000 }));
    act(() => socket.emit('pod.status', { ...notebook, status: 'stopped', cost_micros: 0 }));
    await waitFor(() => expect(rowOf('notebook')).toHaveTextContent('€1.23'));
    expect(rowOf('notebook')).toHaveTextContent('Stopped');
  });

  it('sends a signed-out visitor to the login page', async () => {
    serve(fakeServer({}).adapter);
    const { router } = renderRoute('/client/pods');
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to Neuropod' })).toBeInTheDocument();
    expect(router.state.location.search).toBe(`?return_to=${encodeURIComponent('/client/pods')}`);
  });
});
