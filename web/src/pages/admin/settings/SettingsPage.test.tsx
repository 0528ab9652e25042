import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { Settings } from '@/api/queries/adminSettings';
import { admin, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, serve, type FakeReply } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

const settings: Settings = {
  tiers: [
    { id: 'cpu-small', name: 'Small', cpu: '1', memory: '2Gi', price_per_hour_micros: 50_000 },
    { id: 'cpu-large', name: 'Large', cpu: '8', memory: '32Gi', price_per_hour_micros: 500_000 },
  ],
  gpu_price_per_hour_micros: 600_000,
  initial_balance_micros: 10_000_000,
  low_balance_warning_minutes: [60, 10],
  min_runway_minutes: 10,
  max_running_pods_per_user: 3,
  workspace_size: '20Gi',
  workspace_storage_class: '',
  idle_timeout_minutes: 60,
  allow_keep_running: true,
  base_domain: 'neuropod.online',
};

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply);

function settingsServer(put: Handler = (config) => ({ status: 200, data: JSON.parse(config.data as string) as Settings })) {
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(admin) },
    'GET /api/admin/settings': { status: 200, data: settings },
    'PUT /api/admin/settings': put,
  });
  serve(server.adapter);
  return server;
}

const putBody = (calls: InternalAxiosRequestConfig[]) =>
  JSON.parse(calls.find((c) => c.method === 'put')?.data as string) as Settings;

async function replace(element: HTMLElement, text: string) {
  await userEvent.clear(element);
  await userEvent.type(element, text);
}

describe('SettingsPage (/admin/settings)', () => {
  it('shows the settings and saves what was changed, in micro-euros', async () => {
    const server = settingsServer();
    renderRoute('/admin/settings');

    expect(await screen.findByRole('heading', { level: 1, name: 'Prices and settings' })).toBeInTheDocument();
    const price1 = await screen.findByRole('textbox', { name: 'Price per hour of tier 1 (EUR)' });
    expect(price1).toHaveValue('€ 0.05');
    expect(screen.getByRole('textbox', { name: 'Name of tier 2' })).toHaveValue('Large');
    expect(screen.getByRole('textbox', { name: /Starting credit/ })).toHaveValue('€ 10');
    expect(screen.getByRole('textbox', { name: /Low balance warnings/ })).toHaveValue('60, 10');
    expect(screen.getByRole('switch', { name: /Users may keep a pod running/ })).toBeChecked();

    await replace(price1, '0.08');
    await replace(screen.getByRole('textbox', { name: /Starting credit/ }), '5');
    await replace(screen.getByRole('textbox', { name: /Low balance warnings/ }), '30, 5');
    await replace(screen.getByRole('textbox', { name: /Stop idle pods after/ }), '0');
    await userEvent.click(screen.getByRole('switch', { name: /Users may keep a pod running/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove tier 2' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));

    expect(await screen.findByRole('status')).toHaveTextContent('Settings saved.');
    expect(putBody(server.calls)).toEqual({
      ...settings,
      tiers: [{ id: 'cpu-small', name: 'Small', cpu: '1', memory: '2Gi', price_per_hour_micros: 80_000 }],
      initial_balance_micros: 5_000_000,
      low_balance_warning_minutes: [30, 5],
      idle_timeout_minutes: 0,
      allow_keep_running: false,
    });
    // The last tier cannot be removed: there must be one.
    expect(screen.getByRole('button', { name: 'Remove tier 1' })).toBeDisabled();
  });

  it('adds a tier', async () => {
    const server = settingsServer();
    renderRoute('/admin/settings');
    await userEvent.click(await screen.findByRole('button', { name: 'Add a tier' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Id of tier 3' }), 'gpu-box');
    await userEvent.type(screen.getByRole('textbox', { name: 'Name of tier 3' }), 'GPU box');
    await replace(screen.getByRole('textbox', { name: 'Price per hour of tier 3 (EUR)' }), '1.25');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByRole('status');
    expect(putBody(server.calls).tiers[2]).toEqual({ id: 'gpu-box', name: 'GPU box', cpu: '1', memory: '2Gi', price_per_hour_micros: 1_250_000 });
  });

  it('refuses warnings that are not minutes, without asking the server', async () => {
    const server = settingsServer();
    renderRoute('/admin/settings');
    const warnings = await screen.findByRole('textbox', { name: /Low balance warnings/ });
    await replace(warnings, 'soon');
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(warnings).toHaveAccessibleDescription(/Write whole numbers of minutes/);
    expect(server.calls.filter((c) => c.method === 'put')).toHaveLength(0);
  });

  it("puts the server's validation messages on the fields they name", async () => {
    settingsServer({
      status: 400,
      data: {
        error: {
          code: 'validation_failed',
          message: 'The request has invalid values',
          details: {
            fields: [
              { field: 'tiers[1].cpu', message: 'must match the pattern' },
              { field: 'base_domain', message: 'must be a domain name' },
              { field: 'surprise', message: 'is unexpected' },
            ],
          },
        },
      },
    });
    renderRoute('/admin/settings');
    await userEvent.click(await screen.findByRole('button', { name: 'Save settings' }));

    const cpu = screen.getByRole('textbox', { name: 'CPU of tier 2' });
    await waitFor(() => expect(cpu).toHaveAttribute('aria-invalid', 'true'));
    expect(cpu).toHaveAccessibleDescription('must match the pattern');
    expect(screen.getByRole('textbox', { name: /Base domain/ })).toHaveAccessibleDescription(/must be a domain name/);
    expect(screen.getByRole('textbox', { name: 'CPU of tier 1' })).not.toHaveAttribute('aria-invalid', 'true');
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Some values are not valid');
    expect(within(alert).getByText('surprise: is unexpected')).toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('shows an error with a retry when the settings cannot be loaded', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(admin) },
        'GET /api/admin/settings': () =>
          ++replies === 1
            ? { status: 503, data: { error: { code: 'database_unavailable', message: 'Database unavailable' } } }
            : { status: 200, data: settings },
      }).adapter,
    );
    renderRoute('/admin/settings');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Database unavailable');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('textbox', { name: 'Id of tier 1' })).toHaveValue('cpu-small');
  });
});
