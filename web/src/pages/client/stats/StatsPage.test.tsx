import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { BillingSummary, BillingUsage, LedgerEntry } from '@/api/queries/billing';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, serve } from '@/test/render';

const summary: BillingSummary = {
  admin: false,
  balance_micros: 10_000_000,
  burn_rate_micros_per_hour: 500_000,
  running_pods: 1,
  runway_seconds: 72_000,
  spent_today_micros: 1_250_000,
  spent_7d_micros: 3_000_000,
  spent_30d_micros: 7_500_000,
  usage_today_micros: 1_250_000,
  usage_7d_micros: 3_000_000,
  usage_30d_micros: 7_500_000,
};

function usage(days: number): BillingUsage {
  return {
    from: '2026-02-28',
    to: '2026-03-02',
    days: [
      { day: '2026-02-28', spent_micros: 0, usage_micros: 0 },
      { day: '2026-03-01', spent_micros: 2_000_000, usage_micros: 2_000_000 },
      { day: '2026-03-02', spent_micros: 1_250_000, usage_micros: 1_250_000 },
    ].slice(-Math.min(3, days)),
    pods: [
      { pod_id: '65d000000000000000000001', name: 'notebook', spent_micros: 3_000_000, usage_micros: 3_000_000 },
      { pod_id: '65d000000000000000000002', name: 'api-server', spent_micros: 250_000, usage_micros: 250_000 },
    ],
    spent_micros: 3_250_000,
    usage_micros: 3_250_000,
  };
}

function entry(seq: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    id: `charge:pod:${seq}`,
    user_id: ana.id,
    seq,
    kind: 'charge',
    amount_micros: -8_333,
    usage_micros: 8_333,
    balance_after_micros: 10_000_000 - seq * 8_333,
    reason: `notebook, minute ${seq}`,
    actor_email: '',
    ts: '2026-03-01T10:00:00Z',
    pod_id: '65d000000000000000000001',
    ...overrides,
  };
}

function statsServer(overrides: { summary?: BillingSummary; me?: typeof ana } = {}) {
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(overrides.me ?? ana) },
    'GET /api/billing/summary': { status: 200, data: overrides.summary ?? summary },
    'GET /api/billing/usage': (config) => ({ status: 200, data: usage(Number((config.params as { days: number }).days)) }),
    'GET /api/billing/transactions': (config) => {
      const before = (config.params as { before_seq?: number }).before_seq;
      return before === undefined
        ? { status: 200, data: { items: [entry(3), entry(2)], next_before_seq: 2 } }
        : {
            status: 200,
            data: {
              items: [entry(1, { kind: 'initial', amount_micros: 10_000_000, reason: 'Welcome credit', actor_email: '', balance_after_micros: 10_000_000 })],
              next_before_seq: null,
            },
          };
    },
  });
  serve(server.adapter);
  return server;
}

describe('StatsPage (/client/stats)', () => {
  it('welcomes the user with the balance, how long it lasts and what was spent', async () => {
    statsServer();
    renderRoute('/client/stats');
    expect(await screen.findByRole('heading', { level: 1, name: 'Hello, Ana García' })).toBeInTheDocument();
    const balance = await screen.findByRole('region', { name: 'Your balance' });
    expect(balance).toHaveTextContent('€10.00');
    expect(within(balance).getByTestId('runway')).toHaveTextContent('At €0.50/h it lasts about 20 hr.');
    expect(within(balance).getByRole('group', { name: 'Running now' })).toHaveTextContent('1 · €0.50/h');
    expect(within(balance).getByRole('group', { name: 'Today' })).toHaveTextContent('€1.25');
    expect(within(balance).getByRole('group', { name: 'Last 30 days' })).toHaveTextContent('€7.50');
    expect(within(balance).getByRole('link', { name: 'Deploy a pod' })).toHaveAttribute('href', '/client/pods/deploy');
  });

  it('says when nothing runs, and warns when the balance is used up', async () => {
    statsServer({ summary: { ...summary, running_pods: 0, burn_rate_micros_per_hour: 0, runway_seconds: null } });
    const first = renderRoute('/client/stats', { language: 'es' });
    expect(await screen.findByTestId('runway')).toHaveTextContent('No hay nada en marcha: tu saldo no se está usando.');
    first.unmount();

    statsServer({ summary: { ...summary, balance_micros: 0, runway_seconds: 0 } });
    renderRoute('/client/stats');
    expect(await screen.findByTestId('runway')).toHaveTextContent('Your balance is used up');
  });

  it('charts the spend per day (with the numbers as a table for screen readers) and lists the use per pod', async () => {
    const server = statsServer();
    renderRoute('/client/stats');
    const section = await screen.findByRole('region', { name: 'Spend per day' });
    const chart = await within(section).findByRole('img', { name: 'Spend per day over the last 30 days' });
    expect(chart.querySelectorAll('rect')).toHaveLength(3);
    const data = within(section).getByRole('table', { name: 'Spend per day over the last 30 days' });
    expect(within(data).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual([
      'Feb 28, 2026€0.00',
      'Mar 1, 2026€2.00',
      'Mar 2, 2026€1.25',
    ]);
    expect(section).toHaveTextContent('Last 30 days: €3.25.');
    const perPod = within(section).getByRole('table', { name: 'Per pod' });
    expect(within(perPod).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual([
      'notebook€3.00€3.00',
      'api-server€0.25€0.25',
    ]);

    await userEvent.click(within(section).getByRole('radio', { name: '7 days' }));
    expect(await within(section).findByRole('img', { name: 'Spend per day over the last 7 days' })).toBeInTheDocument();
    expect(server.calls.filter((c) => c.url === '/api/billing/usage').map((c) => c.params as unknown)).toEqual([{ days: 30 }, { days: 7 }]);
  });

  it('shows the ledger a page at a time', async () => {
    const server = statsServer();
    renderRoute('/client/stats');
    const ledger = await screen.findByRole('region', { name: 'Transactions' });
    const table = await within(ledger).findByRole('table', { name: 'Transactions' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent('Pod use');
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent('-€0.01');

    await userEvent.click(within(ledger).getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    const last = within(table).getAllByRole('row')[3]!;
    expect(last).toHaveTextContent('Welcome credit');
    expect(last).toHaveTextContent('+€10.00');
    expect(within(ledger).queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(server.calls.filter((c) => c.url === '/api/billing/transactions').map((c) => c.params as unknown)).toEqual([
      { limit: 50 },
      { limit: 50, before_seq: 2 },
    ]);
  });

  it('shows an admin ∞ and their use at price', async () => {
    statsServer({ me: admin, summary: { ...summary, admin: true, runway_seconds: null, spent_today_micros: 0 } });
    renderRoute('/client/stats');
    const balance = await screen.findByRole('region', { name: 'Your balance' });
    expect(within(balance).getByText('∞')).toBeInTheDocument();
    expect(within(balance).getByRole('group', { name: 'Today' })).toHaveTextContent('€1.25');
    expect(within(balance).getByTestId('runway')).toHaveTextContent('As an administrator you are never charged');
    expect(await screen.findByRole('region', { name: 'Use per day (at price)' })).toBeInTheDocument();
  });

  it('shows an error with a retry when the summary cannot be loaded', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana) },
        'GET /api/billing/usage': { status: 200, data: usage(30) },
        'GET /api/billing/transactions': { status: 200, data: { items: [], next_before_seq: null } },
        'GET /api/billing/summary': () =>
          ++replies === 1
            ? { status: 500, data: { error: { code: 'internal', message: 'Database unavailable' } } }
            : { status: 200, data: summary },
      }).adapter,
    );
    renderRoute('/client/stats');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Database unavailable');
    expect(await screen.findByText('No transactions yet.')).toBeInTheDocument();
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('region', { name: 'Your balance' })).toHaveTextContent('€10.00');
  });
});
