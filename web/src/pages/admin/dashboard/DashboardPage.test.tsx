import { act, configure, screen, waitFor, within } from '@testing-library/react';
import type { InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { AdminBillingSummary, AdminBillingUsage } from '@/api/queries/adminBilling';
import type { AuditEntry } from '@/api/queries/adminAudit';
import type { Capacity } from '@/api/queries/capacity';
import { admin, ana, pod, verified } from '@/test/fixtures';
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
