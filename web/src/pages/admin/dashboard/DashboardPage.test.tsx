import { act, configure, screen, waitFor, within } from '@testing-library/react';
import type { InternalAxiosRequestConfig } from 'axios';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AlertList } from '@/api/queries/adminAlerts';
import type { AdminBillingSummary, AdminBillingUsage } from '@/api/queries/adminBilling';
import type { AuditEntry } from '@/api/queries/adminAudit';
import type { Capacity } from '@/api/queries/capacity';
import { admin, alert, ana, pod, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { fakeServer, renderRoute, serve, type FakeReply } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

const summary: AdminBillingSummary = {
  running_pods: 3,
  users_running: 2,
  burn_rate_micros_per_hour: 1_500_000,
  admin_burn_rate_micros_per_hour: 500_000,
  client_balances_micros: 42_000_000,
  clients_out_of_credit: 1,
  spent_today_micros: 2_000_000,
  spent_7d_micros: 9_000_000,
  spent_30d_micros: 30_000_000,
  usage_today_micros: 2_500_000,
  usage_7d_micros: 10_000_000,
  usage_30d_micros: 35_000_000,
};

const days = Array.from({ length: 14 }, (_, i) => ({
  day: `2026-03-${String(i + 1).padStart(2, '0')}`,
  spent_micros: i === 13 ? 2_000_000 : i * 100_000,
  usage_micros: 0,
}));
const usage: AdminBillingUsage = {
  from: '2026-03-01',
  to: '2026-03-14',
  days,
  users: [],
  spent_micros: days.reduce((sum, d) => sum + d.spent_micros, 0),
  usage_micros: 0,
};

const capacity: Capacity = {
  cpu_millis_free: 21_000,
  memory_bytes_free: 96 * 1024 ** 3,
  gpus_free: 2,
  max_gpus_free_on_one_node: 2,
  cpu_millis_allocatable: 24_000,
  memory_bytes_allocatable: 128 * 1024 ** 3,
  gpus_allocatable: 2,
  nodes: [
    {
      name: 'cpu-0',
      schedulable: true,
      cpu_millis_free: 7000,
      memory_bytes_free: 32 * 1024 ** 3,
      gpus_free: 0,
      cpu_millis_allocatable: 8000,
      memory_bytes_allocatable: 64 * 1024 ** 3,
      gpus_allocatable: 0,
    },
    {
      name: 'gpu-0',
      schedulable: false,
      cpu_millis_free: 14_000,
      memory_bytes_free: 64 * 1024 ** 3,
      gpus_free: 2,
      cpu_millis_allocatable: 16_000,
      memory_bytes_allocatable: 64 * 1024 ** 3,
      gpus_allocatable: 2,
    },
  ],
  tiers: [{ id: 'cpu-small', name: 'Small', fits: 21 }],
  templates: [],
};

const entries: AuditEntry[] = [
  {
    id: 'a1',
    ts: '2026-03-14T10:00:00Z',
    action: 'user.blocked',
    user_id: ana.id,
    actor_id: admin.id,
    actor_email: admin.email,
    ip: '127.0.0.1',
    user_agent: '',
    details: {},
  },
  {
    id: 'a2',
    ts: '2026-03-14T09:00:00Z',
    action: 'something.new',
    user_id: '',
    actor_id: '',
    actor_email: '',
    ip: '',
    user_agent: '',
    details: {},
  },
];

const broken = pod({ id: '65d000000000000000000007', name: 'broken', status: 'failed', message: 'Image not found' });

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply);

function dashboardServer(extra: Record<string, Handler> = {}) {
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(admin) },
    // The count is the page's total: one user is asked for, not every page.
    'GET /api/admin/users': { status: 200, data: { items: [admin], next_cursor: 'next', total: 3 } },
    'GET /api/admin/billing/summary': { status: 200, data: summary },
    'GET /api/admin/billing/usage': { status: 200, data: usage },
    'GET /api/capacity': { status: 200, data: capacity },
    'GET /api/admin/audit': { status: 200, data: { items: entries, next_before: null } },
    'GET /api/admin/pods': { status: 200, data: { items: [broken] } },
    'GET /api/admin/alerts': { status: 200, data: { items: [], leading: true } satisfies AlertList },
    ...extra,
  });
  serve(server.adapter);
  return server;
}

describe('DashboardPage (/dashboard)', () => {
  it('shows users, pods running, income, spend, capacity and activity', async () => {
    const server = dashboardServer();
    renderRoute('/dashboard');

    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeInTheDocument();
    expect(await screen.findByRole('group', { name: 'Users' })).toHaveTextContent('3');
    expect(server.calls.filter((c) => c.url === '/api/admin/users').map((c) => c.params)).toEqual([{ limit: 1 }]);
    expect(screen.getByRole('group', { name: 'Pods running' })).toHaveTextContent('3of 2 users');
    expect(screen.getByRole('group', { name: 'Charged per hour now' })).toHaveTextContent('€1.50');
    expect(screen.getByRole('group', { name: 'Charged per hour now' })).toHaveTextContent("plus €0.50/h of admins’ pods");
    expect(screen.getByRole('group', { name: 'Clients’ balances' })).toHaveTextContent('€42.001 out of credit');
    expect(screen.getByRole('group', { name: 'Spent' })).toHaveTextContent('€2.00');
    expect(screen.getByRole('group', { name: 'Spent' })).toHaveTextContent('7 days: €9.00 · 30 days: €30.00');

    // The chart: an image with a name and a summary, and the same numbers as a table.
    const chart = await screen.findByRole('img', { name: 'Spent per day, last 14 days' });
    expect(chart).toHaveAccessibleDescription('€9.80 spent in the last 14 days; the most in one day: €2.00.');
    expect(chart.querySelectorAll('rect')).toHaveLength(14);
    const data = screen.getByRole('table', { name: 'Spent per day, last 14 days' });
    const rows = within(data).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(14);
    expect(rows[13]).toHaveTextContent('Sat, Mar 14€2.00');
    expect(server.calls.find((c) => c.url === '/api/admin/billing/usage')?.params).toEqual({ days: 14 });

    // Used of total, with a bar: 3 of 24 cores is 13 %.
    const cpu = screen.getByRole('group', { name: 'CPU' });
    expect(cpu).toHaveTextContent('3 of 24 cores');
    expect(cpu).toHaveTextContent('21 free');
    expect(within(cpu).getByRole('progressbar', { name: 'CPU in use' })).toHaveAttribute('aria-valuenow', '13');
    const memory = screen.getByRole('group', { name: 'Memory' });
    expect(memory).toHaveTextContent('32 of 128 GiB');
    expect(memory).toHaveTextContent('96 GiB free');
    expect(within(memory).getByRole('progressbar', { name: 'Memory in use' })).toHaveAttribute('aria-valuenow', '25');
    const gpus = screen.getByRole('group', { name: 'GPUs' });
    expect(gpus).toHaveTextContent('0 of 2');
    expect(gpus).toHaveTextContent('2 free · at most 2 on one node');
    expect(within(gpus).getByRole('progressbar', { name: 'GPUs in use' })).toHaveAttribute('aria-valuenow', '0');
    const cpuNode = screen.getByText('cpu-0').closest('tr')!;
    expect(cpuNode).toHaveTextContent('1 / 8');
    expect(cpuNode).toHaveTextContent('32 / 64');
    expect(within(cpuNode).getByRole('progressbar', { name: 'cpu-0 Memory in use' })).toHaveAttribute('aria-valuenow', '50');
    const gpuNode = screen.getByText('gpu-0').closest('tr')!;
    expect(gpuNode).toHaveTextContent('Cordoned');
    expect(gpuNode).toHaveTextContent('2 / 16');
    expect(gpuNode).toHaveTextContent('0 / 2');
    expect(screen.getByRole('group', { name: 'Fits now' })).toHaveTextContent('Small: 21');

    const activity = screen.getByRole('region', { name: 'Recent activity' });
    expect(await within(activity).findByText('User blocked')).toBeInTheDocument();
    expect(activity).toHaveTextContent('by root@example.com');
    expect(within(activity).getByText('something.new')).toBeInTheDocument();
    expect(within(activity).getByRole('link', { name: 'Open the audit log' })).toHaveAttribute('href', '/admin/logs');

    const failed = screen.getByRole('region', { name: 'Failed pods' });
    expect(await within(failed).findByText('broken · ana@example.com')).toBeInTheDocument();
    expect(failed).toHaveTextContent('Image not found');
    expect(server.calls.find((c) => c.url === '/api/admin/pods')?.params).toEqual({ status: 'failed', limit: 10 });
  });

  it('follows a failed pod live', async () => {
    dashboardServer();
    const sockets = fakeSockets();
    renderRoute('/dashboard', { createSocket: sockets.factory });
    const failed = await screen.findByRole('region', { name: 'Failed pods' });
    await within(failed).findByText('broken · ana@example.com');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    act(() => sockets.latest().emit('pod.status', { ...broken, status: 'pending', message: '' }));
    expect(await within(failed).findByText('Pending')).toBeInTheDocument();
    expect(failed).not.toHaveTextContent('Image not found');
  });

  it('counts a new user and shows their sign-up at once (user.signed_up)', async () => {
    let total = 3;
    let activity = entries;
    const signUp: AuditEntry = { ...entries[0]!, id: 'a3', action: 'user.signed_up', actor_email: 'new@example.com' };
    const server = dashboardServer({
      'GET /api/admin/users': () => ({ status: 200, data: { items: [admin], next_cursor: 'next', total } }),
      'GET /api/admin/audit': () => ({ status: 200, data: { items: activity, next_before: null } }),
    });
    const sockets = fakeSockets();
    renderRoute('/dashboard', { createSocket: sockets.factory });
    expect(await screen.findByRole('group', { name: 'Users' })).toHaveTextContent('3');
    const region = screen.getByRole('region', { name: 'Recent activity' });
    await within(region).findByText('User blocked');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    act(() => sockets.latest().emit('session.hello', { user_id: admin.id, admin: true }));

    total = 4;
    activity = [signUp, ...entries];
    const auditCalls = server.calls.filter((c) => c.url === '/api/admin/audit').length;
    act(() => sockets.latest().emit('user.signed_up', { user_id: '65a000000000000000000009', email: 'new@example.com', name: 'New' }));
    await waitFor(() => expect(screen.getByRole('group', { name: 'Users' })).toHaveTextContent('4'));
    expect(await within(region).findByText('by new@example.com', { exact: false })).toBeInTheDocument();
    expect(server.calls.filter((c) => c.url === '/api/admin/audit').length).toBe(auditCalls + 1);
  });

  it('adds a pod that fails meanwhile to the failed pods, without a refetch', async () => {
    const server = dashboardServer({ 'GET /api/admin/pods': { status: 200, data: { items: [] } } });
    const sockets = fakeSockets();
    renderRoute('/dashboard', { createSocket: sockets.factory });
    const failed = await screen.findByRole('region', { name: 'Failed pods' });
    expect(await within(failed).findByText('No pod has failed.')).toBeInTheDocument();
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    act(() => sockets.latest().emit('session.hello', { user_id: admin.id, admin: true }));
    const podCalls = server.calls.filter((c) => c.url === '/api/admin/pods').length;
    // Running pods are no failed pods: nothing changes.
    act(() => sockets.latest().emit('pod.status', { ...broken, id: '65d000000000000000000008', name: 'fine', status: 'running', message: '' }));
    act(() => sockets.latest().emit('pod.status', broken));
    expect(await within(failed).findByText('broken · ana@example.com')).toBeInTheDocument();
    expect(within(failed).queryByText(/^fine/)).not.toBeInTheDocument();
    expect(server.calls.filter((c) => c.url === '/api/admin/pods').length).toBe(podCalls);
  });

  it('keeps the other cards when one source fails, and says when nothing happened', async () => {
    dashboardServer({
      'GET /api/capacity': { status: 503, data: { error: { code: 'kubernetes_unavailable', message: 'Kubernetes is down' } } },
      'GET /api/admin/audit': { status: 200, data: { items: [], next_before: null } },
      'GET /api/admin/pods': { status: 200, data: { items: [] } },
    });
    renderRoute('/dashboard');
    const capacityCard = await screen.findByRole('region', { name: 'Cluster capacity (in use now)' });
    expect(await within(capacityCard).findByRole('alert')).toHaveTextContent('Kubernetes is down');
    expect(await screen.findByText('Nothing has happened yet.')).toBeInTheDocument();
    expect(await screen.findByText('No pod has failed.')).toBeInTheDocument();
    expect(await screen.findByRole('img', { name: 'Spent per day, last 14 days' })).toBeInTheDocument();
  });
});

describe('DashboardPage: alerts', () => {
  const databaseDown = alert({ since: '2026-03-01T10:02:00Z', details: { error: 'connection refused' } });
  const podFailing = alert({
    id: `pod_failing:${broken.id}`,
    kind: 'pod_failing',
    severity: 'warning',
    message: 'Pod broken failed 3 times in the last 10 minutes',
    details: { pod_id: broken.id, pod_name: 'broken', failures: 3 },
    since: '2026-03-01T09:00:00Z',
  });
  const alertsReply = (list: AlertList): FakeReply => ({ status: 200, data: list });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('says all is clear when no alert is active, and the navigation counts none', async () => {
    dashboardServer();
    renderRoute('/dashboard');
    const card = await screen.findByRole('region', { name: 'Alerts' });
    expect(await within(card).findByText('All clear')).toBeInTheDocument();
    expect(within(card).queryByRole('list')).not.toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');
  });

  it('lists the active alerts, critical first, with what they say, since when and where to look', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime('2026-03-01T10:05:00Z');
    dashboardServer({ 'GET /api/admin/alerts': alertsReply({ items: [podFailing, databaseDown], leading: true }) });
    renderRoute('/dashboard');
    const card = await screen.findByRole('region', { name: 'Alerts' });
    const list = await within(card).findByRole('list', { name: 'Active alerts' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(within(card).getByText('2 active')).toBeInTheDocument();

    expect(items[0]).toHaveTextContent('Critical');
    expect(items[0]).toHaveTextContent('Database down');
    expect(items[0]).toHaveTextContent('The database does not answer: connection refused');
    expect(items[0]).toHaveTextContent('Raised 3 minutes ago');
    expect(items[0]!.querySelector('time')).toHaveAttribute('dateTime', databaseDown.since);

    expect(items[1]).toHaveTextContent('Warning');
    expect(items[1]).toHaveTextContent('A pod keeps failing');
    expect(items[1]).toHaveTextContent('Pod broken failed 3 times in a short time.');
    expect(items[1]).toHaveTextContent('Raised 1 hour ago');
    expect(within(items[1]!).getByRole('link', { name: 'Open pod broken' })).toHaveAttribute('href', `/client/pods/${broken.id}`);
    expect(within(card).queryByText('All clear')).not.toBeInTheDocument();

    // The navigation counts them beside "Dashboard".
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(await within(nav).findByRole('link', { name: /^Dashboard\s*2 active alerts$/ })).toHaveAttribute('href', '/dashboard');
  });

  it('says so when this server does not run the alert checks', async () => {
    dashboardServer({ 'GET /api/admin/alerts': alertsReply({ items: [], leading: false }) });
    renderRoute('/dashboard');
    const card = await screen.findByRole('region', { name: 'Alerts' });
    expect(await within(card).findByText(/This server does not run the alert checks/)).toBeInTheDocument();
    expect(within(card).queryByText('All clear')).not.toBeInTheDocument();
  });

  it('follows alerts live: alert.raised adds one, alert.cleared takes it away, without a refetch', async () => {
    const server = dashboardServer();
    const sockets = fakeSockets();
    renderRoute('/dashboard', { createSocket: sockets.factory });
    const card = await screen.findByRole('region', { name: 'Alerts' });
    await within(card).findByText('All clear');
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    act(() => sockets.latest().open());
    act(() => sockets.latest().emit('session.hello', { user_id: admin.id, admin: true }));
    const alertCalls = () => server.calls.filter((c) => c.url === '/api/admin/alerts').length;
    const before = alertCalls();

    act(() => sockets.latest().emit('alert.raised', podFailing));
    const item = await within(card).findByRole('listitem');
    expect(item).toHaveTextContent('A pod keeps failing');
    expect(within(card).getByText('1 active')).toBeInTheDocument();
    expect(within(card).queryByText('All clear')).not.toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByRole('link', { name: /^Dashboard\s*1 active alert$/ })).toBeInTheDocument();

    act(() => sockets.latest().emit('alert.raised', databaseDown));
    await waitFor(() => expect(within(card).getAllByRole('listitem')).toHaveLength(2));
    expect(within(card).getAllByRole('listitem')[0]).toHaveTextContent('Database down');

    act(() => sockets.latest().emit('alert.cleared', { ...podFailing, cleared_at: '2026-03-01T10:10:00Z' }));
    act(() => sockets.latest().emit('alert.cleared', { ...databaseDown, cleared_at: '2026-03-01T10:10:00Z' }));
    expect(await within(card).findByText('All clear')).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Dashboard' })).toBeInTheDocument();
    expect(alertCalls()).toBe(before);
  });

  it('shows an error with a retry when the alerts cannot be loaded, and keeps the other cards', async () => {
    let fail = true;
    dashboardServer({
      'GET /api/admin/alerts': () =>
        fail
          ? { status: 500, data: { error: { code: 'internal', message: 'Alerts exploded' } } }
          : alertsReply({ items: [databaseDown], leading: true }),
    });
    renderRoute('/dashboard');
    const card = await screen.findByRole('region', { name: 'Alerts' });
    expect(await within(card).findByRole('alert')).toHaveTextContent('Alerts exploded');
    expect(await screen.findByRole('group', { name: 'Users' })).toHaveTextContent('3');
    fail = false;
    await userEvent.click(within(card).getByRole('button', { name: 'Retry' }));
    expect(await within(card).findByText('Database down')).toBeInTheDocument();
  });

  it('speaks Spanish', async () => {
    dashboardServer({ 'GET /api/admin/alerts': alertsReply({ items: [databaseDown, podFailing], leading: true }) });
    renderRoute('/dashboard', { language: 'es' });
    const card = await screen.findByRole('region', { name: 'Alertas' });
    const items = await within(card).findAllByRole('listitem');
    expect(items[0]).toHaveTextContent('Crítica');
    expect(items[0]).toHaveTextContent('Base de datos caída');
    expect(items[0]).toHaveTextContent('La base de datos no responde: connection refused');
    expect(items[0]).toHaveTextContent(/Activa desde hace/);
    expect(items[1]).toHaveTextContent('Aviso');
    expect(within(items[1]!).getByRole('link', { name: 'Abrir el pod broken' })).toBeInTheDocument();
    expect(within(card).getByText('2 activas')).toBeInTheDocument();
  });
});
