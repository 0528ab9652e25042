import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it } from 'vitest';
import type { LifecycleReport, Pod, ShareLink } from '@/api/queries/pods';
import { ana, pod, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

const notebook = pod({ id: '65d000000000000000000001' });
const path = `/api/pods/${notebook.id}`;

function lifecycle(overrides: Partial<LifecycleReport> = {}): LifecycleReport {
  return {
    pod_id: notebook.id,
    status: 'running',
    running: true,
    running_since: '2026-03-01T09:01:00Z',
    last_activity_at: '2026-03-01T09:30:00Z',
    idle: { timeout_minutes: 60, culling: 'on', keep_running: false, keep_running_allowed: true, stop_at: '2026-03-01T10:30:00Z' },
    balance: { unlimited: false, balance_micros: 10_000_000, burn_rate_micros_per_hour: 500_000, runway_seconds: 72_000, stop_at: '2026-03-02T05:00:00Z' },
    stop_at: '2026-03-01T10:30:00Z',
    reasons: ['Nobody has used it for 30 minutes: it stops after 60 minutes idle.', 'Your balance lasts 20 hours at this rate.'],
    ...overrides,
  };
}

const oldShare: ShareLink = {
  id: 'sh-old',
  label: 'For the demo',
  created_at: '2026-02-01T09:00:00Z',
  expires_at: '2026-02-02T09:00:00Z',
  revoked_at: null,
  state: 'expired',
  url: null,
};
const liveShare: ShareLink = { ...oldShare, id: 'sh-live', label: 'For Marta', expires_at: '2026-03-05T09:00:00Z', state: 'active' };

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply | Promise<FakeReply>);

/** ana signed in with `initial`; keep-running, access, shares and stop really change what is served. */
function podServer(initial: Pod = notebook, extra: Record<string, Handler> = {}, report = lifecycle()) {
  let current = { ...initial };
  let shares = [liveShare, oldShare];
  let logsFollowed = 0;
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(ana) },
    'GET /api/pods': () => ({ status: 200, data: { items: [current] } }),
    [`GET ${path}`]: () => ({ status: 200, data: current }),
    [`GET ${path}/lifecycle`]: () => ({
      status: 200,
      data: { ...report, idle: { ...report.idle, keep_running: current.keep_running, culling: current.keep_running ? 'exempt' : report.idle.culling } },
    }),
    [`PUT ${path}/keep-running`]: (config) => {
      current = { ...current, keep_running: (JSON.parse(String(config.data)) as { keep_running: boolean }).keep_running };
      return { status: 200, data: current };
    },
    [`PUT ${path}/access`]: (config) => {
      current = { ...current, access: (JSON.parse(String(config.data)) as { access: Pod['access'] }).access };
      return { status: 200, data: current };
    },
    [`POST ${path}/stop`]: () => {
      current = { ...current, status: 'stopping', desired: 'stopped' };
      return { status: 200, data: current };
    },
    [`DELETE ${path}`]: { status: 204 },
    [`GET ${path}/shares`]: () => ({ status: 200, data: { items: shares } }),
    [`POST ${path}/shares`]: (config) => {
      const body = JSON.parse(String(config.data)) as { label?: string; expires_in_seconds: number };
      const made: ShareLink = {
        id: 'sh-new',
        label: body.label ?? '',
        created_at: '2026-03-01T10:00:00Z',
        expires_at: '2026-03-08T10:00:00Z',
        revoked_at: null,
        state: 'active',
        url: `https://notebook-ana-8888.pods.example.com/.neuropod/share/sh-new.s3cret`,
      };
      shares = [{ ...made, url: null }, ...shares];
      return { status: 201, data: made };
    },
    [`DELETE ${path}/shares/sh-live`]: () => {
      shares = shares.map((s) => (s.id === 'sh-live' ? { ...s, state: 'revoked', revoked_at: '2026-03-01T10:05:00Z' } : s));
      return { status: 204 };
    },
    [`GET ${path}/logs`]: (config) => {
      const params = config.params as { tail?: number; follow?: boolean };
      if (params.follow === true) {
        logsFollowed += 1;
        // The stream as the browser sees it: the text so far on each progress event, then the whole.
        config.onDownloadProgress?.({ loaded: 6, bytes: 6, lengthComputable: false, event: { target: { responseText: 'boot\n' } } });
        return { status: 200, data: 'boot\nready on :8888\n', headers: { 'content-type': 'text/plain' } };
      }
      return { status: 200, data: `snapshot of ${String(params.tail)} lines\n`, headers: { 'content-type': 'text/plain' } };
    },
    ...extra,
  });
  serve(server.adapter);
  return { server, logsFollowed: () => logsFollowed };
}

async function section(name: string | RegExp) {
  return screen.findByRole('region', { name });
}

describe('PodDetailPage (/client/pods/:id)', () => {
  it('shows the pod, why it still runs and when it will stop', async () => {
    podServer();
    renderRoute(`/client/pods/${notebook.id}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'notebook' })).toBeInTheDocument();
    expect(screen.getByText('Running')).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Price' })).toHaveTextContent('€0.50/h');
    expect(screen.getByRole('group', { name: 'Cost so far' })).toHaveTextContent('€1.25');
    expect(screen.getByRole('group', { name: 'Workspace' })).toHaveTextContent('/home/jovyan/work');
    expect(screen.getByRole('link', { name: 'Open lab' })).toHaveAttribute('href', 'https://notebook-ana-8888.pods.example.com');
    expect(screen.getByRole('link', { name: '← All pods' })).toHaveAttribute('href', '/client/pods');

    const why = await section('Why is it still running?');
    const reasons = await within(why).findByRole('list', { name: 'Reasons' });
    expect(within(reasons).getAllByRole('listitem').map((li) => li.textContent)).toEqual(lifecycle().reasons);
    expect(within(why).getByRole('status')).toHaveTextContent(/^It will stop at .+ unless something changes\.$/);
    expect(why).toHaveTextContent('Idle pods stop after 60 minutes without activity.');
  });

  it('keeps the pod running when idle with the switch (PUT keep-running), and back', async () => {
    const { server } = podServer();
    renderRoute(`/client/pods/${notebook.id}`);
    const why = await section('Why is it still running?');
    const toggle = await within(why).findByRole('switch', { name: 'Keep running when idle' });
    expect(toggle).not.toBeChecked();

    await userEvent.click(toggle);
    await waitFor(() => expect(toggle).toBeChecked());
    expect(await within(why).findByText(/This pod is kept running even when idle\./)).toBeInTheDocument();
    await userEvent.click(toggle);
    await waitFor(() => expect(toggle).not.toBeChecked());

    const puts = server.calls.filter((c) => c.method === 'put' && c.url === `${path}/keep-running`);
    expect(puts.map((c) => JSON.parse(String(c.data)) as unknown)).toEqual([{ keep_running: true }, { keep_running: false }]);
  });

  it('explains that keep running is not allowed, and disables the switch', async () => {
    podServer(notebook, {}, lifecycle({ idle: { ...lifecycle().idle, keep_running_allowed: false } }));
    renderRoute(`/client/pods/${notebook.id}`, { language: 'es' });
    const why = await section('¿Por qué sigue en marcha?');
    expect(await within(why).findByRole('switch', { name: 'Mantener en marcha aunque esté inactivo' })).toBeDisabled();
    expect(why).toHaveTextContent('El administrador no permite mantener en marcha los pods inactivos.');
  });

  it('changes who can open the pod (PUT access)', async () => {
    const { server } = podServer();
    renderRoute(`/client/pods/${notebook.id}`);
    const access = await section('Who can open it');
    expect(within(access).getByRole('radio', { name: 'Only me' })).toBeChecked();

    await userEvent.click(within(access).getByRole('radio', { name: 'Anyone' }));
    await waitFor(() => expect(within(access).getByRole('radio', { name: 'Anyone' })).toBeChecked());
    expect(access).toHaveTextContent('Anyone who knows the URL can use this pod.');
    const puts = server.calls.filter((c) => c.method === 'put' && c.url === `${path}/access`);
    expect(puts.map((c) => JSON.parse(String(c.data)) as unknown)).toEqual([{ access: 'public' }]);
  });

  it('lists share links; creates one with a label and expiry, shows and copies its URL once; revokes one', async () => {
    const user = userEvent.setup();
    const { server } = podServer();
    renderRoute(`/client/pods/${notebook.id}`);
    const shares = await section('Share links');
    const table = await within(shares).findByRole('table', { name: 'Share links of the pod' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('For Marta');
    expect(rows[0]).toHaveTextContent('Active');
    expect(within(rows[1]!).getByText('Expired')).toBeInTheDocument();
    expect(within(rows[1]!).queryByRole('button', { name: 'Revoke' })).not.toBeInTheDocument();

    const form = within(shares).getByRole('form', { name: 'Create link' });
    await user.type(within(form).getByRole('textbox', { name: 'Label' }), 'Team');
    await user.click(within(form).getByRole('combobox', { name: 'Expires in' }));
    await user.click(await screen.findByRole('option', { name: '7 days' }));
    await user.click(within(form).getByRole('button', { name: 'Create link' }));

    const url = await within(shares).findByRole('textbox', { name: 'Share link' });
    expect(url).toHaveValue('https://notebook-ana-8888.pods.example.com/.neuropod/share/sh-new.s3cret');
    expect(within(shares).getByText('Copy it now: it is shown only once.')).toBeInTheDocument();
    const posts = server.calls.filter((c) => c.method === 'post' && c.url === `${path}/shares`);
    expect(posts.map((c) => JSON.parse(String(c.data)) as unknown)).toEqual([{ label: 'Team', expires_in_seconds: 604_800 }]);
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));

    await user.click(within(shares).getByRole('button', { name: 'Copy link' }));
    expect(await within(shares).findByRole('button', { name: 'Copied' })).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe('https://notebook-ana-8888.pods.example.com/.neuropod/share/sh-new.s3cret');

    const marta = within(table).getByText('For Marta').closest('tr')!;
    const revoke = within(marta).getByRole('button', { name: 'Revoke' });
    expect(revoke).toHaveAccessibleDescription('For Marta');
    await user.click(revoke);
    expect(await within(marta).findByText('Revoked')).toBeInTheDocument();
    expect(within(marta).queryByRole('button', { name: 'Revoke' })).not.toBeInTheDocument();
    expect(requested(server.calls)).toContain(`DELETE ${path}/shares/sh-live`);
  });

  it('follows the logs of a running pod, and shows the last lines once when not following', async () => {
    const { server, logsFollowed } = podServer();
    renderRoute(`/client/pods/${notebook.id}`);
    const logs = await section('Logs');
    const output = await within(logs).findByRole('log', { name: 'Logs of notebook' });
    await waitFor(() => expect(output).toHaveTextContent('boot ready on :8888'));
    expect(within(logs).getByRole('status')).toHaveTextContent('The stream ended');
    const followed = server.calls.find((c) => c.url === `${path}/logs`);
    expect(followed?.params).toEqual({ tail: 500, follow: true });
    expect(followed?.timeout).toBe(0);

    await userEvent.click(within(logs).getByRole('switch', { name: 'Follow' }));
    expect(await within(logs).findByText('snapshot of 500 lines')).toBeInTheDocument();
    await userEvent.click(within(logs).getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(server.calls.filter((c) => c.url === `${path}/logs` && (c.params as { follow?: boolean }).follow === undefined)).toHaveLength(2));

    await userEvent.click(within(logs).getByRole('switch', { name: 'Follow' }));
    await waitFor(() => expect(logsFollowed()).toBe(2));
  });

  it('asks for no logs of a stopped pod', async () => {
    const { server } = podServer({ ...notebook, status: 'stopped', desired: 'stopped', running_since: null });
    renderRoute(`/client/pods/${notebook.id}`);
    const logs = await section('Logs');
    expect(within(logs).getByText('Logs are available while the pod runs.')).toBeInTheDocument();
    expect(within(logs).queryByRole('log')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start' })).toBeInTheDocument();
    expect(requested(server.calls)).not.toContain(`GET ${path}/logs`);
  });

  it('stops the pod, and deletes it after confirmation, going back to the list', async () => {
    const { server } = podServer();
    const { router } = renderRoute(`/client/pods/${notebook.id}`);
    await userEvent.click(await screen.findByRole('button', { name: 'Stop' }));
    expect(await screen.findByText('Stopping')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Open lab' })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete the pod notebook?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete pod' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/client/pods'));
    expect(requested(server.calls)).toEqual(expect.arrayContaining([`POST ${path}/stop`, `DELETE ${path}`]));
  });

  it("says so when the pod does not exist (or is someone else's)", async () => {
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana) },
        [`GET ${path}`]: { status: 404, data: { error: { code: 'not_found', message: 'Pod not found' } } },
      }).adapter,
    );
    renderRoute(`/client/pods/${notebook.id}`);
    expect(await screen.findByRole('alert')).toHaveTextContent('Pod not found');
  });
});
