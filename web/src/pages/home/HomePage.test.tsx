import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Status } from '@/api/queries/system';
import { failingAdapter, fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

const healthy: Status = {
  name: 'neuropod',
  version: '0.1.0-test',
  environment: 'test',
  uptime_seconds: 93_784, // 1 day 2 h 3 min 4 s
  time: '2026-01-01T00:00:00Z',
  database: { status: 'ok', latency_ms: 3.24 },
  kubernetes: { status: 'not_configured' },
};

// The page goes through the real query factory and axios client; only the transport is fake.
// Nobody is signed in (fakeServer answers GET /api/auth/verify with 401): the page is public.
function serveStatus(reply: FakeReply | (() => FakeReply | Promise<FakeReply>)) {
  const server = fakeServer({ 'GET /api/status': reply });
  serve(server.adapter);
  return server;
}

describe('HomePage (/)', () => {
  it('shows version, uptime and every dependency when the service is healthy', async () => {
    const { calls } = serveStatus({ status: 200, data: healthy });
    renderRoute('/');

    expect(screen.getByRole('heading', { level: 1, name: 'Neuropod' })).toBeInTheDocument();
    expect(await screen.findByText('0.1.0-test')).toBeInTheDocument();
    expect(requested(calls)).toContain('GET /api/status');
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');

    expect(screen.getByText('All systems operational')).toBeInTheDocument();
    expect(screen.getByText('test')).toBeInTheDocument();
    expect(screen.getByText('1 day 2 hr')).toBeInTheDocument();
    const database = screen.getByRole('group', { name: 'Database' });
    expect(within(database).getByText('OK')).toBeInTheDocument();
    expect(within(database).getByText('3.2 ms')).toBeInTheDocument();
    const kubernetes = screen.getByRole('group', { name: 'Kubernetes' });
    expect(within(kubernetes).getByText('Not configured')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('marks the service degraded and shows the reason when a dependency is down', async () => {
    const down: Status = {
      ...healthy,
      database: { status: 'down', error: 'connection refused' },
      kubernetes: { status: 'ok', latency_ms: 12 },
    };
    serveStatus({ status: 200, data: down });
    renderRoute('/');

    const database = await screen.findByRole('group', { name: 'Database' });
    expect(within(database).getByText('Down')).toBeInTheDocument();
    expect(within(database).getByText('connection refused')).toBeInTheDocument();
    expect(screen.getByText('Degraded')).toBeInTheDocument();
    expect(screen.queryByText('All systems operational')).not.toBeInTheDocument();
    expect(within(screen.getByRole('group', { name: 'Kubernetes' })).getByText('OK')).toBeInTheDocument();
  });

  it('renders in Spanish', async () => {
    serveStatus({ status: 200, data: { ...healthy, database: { status: 'down' } } });
    renderRoute('/', { language: 'es' });

    const database = await screen.findByRole('group', { name: 'Base de datos' });
    expect(within(database).getByText('Caído')).toBeInTheDocument();
    expect(screen.getByText('Estado del servicio')).toBeInTheDocument();
    expect(screen.getByText('Con problemas')).toBeInTheDocument();
    expect(screen.getByText('pruebas')).toBeInTheDocument();
  });

  it('shows a loading state until the status arrives', async () => {
    let answer: (value: { status: number; data: Status }) => void = () => {};
    serveStatus(() => new Promise((resolve) => (answer = resolve)));
    renderRoute('/');

    expect(screen.getByRole('status', { name: 'Loading…' })).toBeInTheDocument();
    expect(screen.queryByText('0.1.0-test')).not.toBeInTheDocument();
    answer({ status: 200, data: healthy });
    expect(await screen.findByText('0.1.0-test')).toBeInTheDocument();
    expect(screen.queryByRole('status', { name: 'Loading…' })).not.toBeInTheDocument();
  });

  it("shows the server's error message and request id, and retries on demand", async () => {
    let replies = 0;
    serveStatus(() => {
      replies += 1;
      return replies === 1
        ? {
            status: 503,
            data: { error: { code: 'service_unavailable', message: 'Shutting down', request_id: 'req-42' } },
          }
        : { status: 200, data: healthy };
    });
    renderRoute('/');

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('Shutting down')).toBeInTheDocument();
    expect(within(alert).getByText('Request id: req-42')).toBeInTheDocument();

    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('0.1.0-test')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(replies).toBe(2);
  });

  it('explains a network failure in the user language', async () => {
    serve(failingAdapter('ERR_NETWORK', 'Network Error'));
    renderRoute('/', { language: 'es' });

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(/No se ha podido contactar con el servidor/)).toBeInTheDocument();
    expect(within(alert).getByRole('button', { name: 'Reintentar' })).toBeInTheDocument();
  });

  it('says the service is unreachable when a gateway answers instead of the API', async () => {
    serveStatus({ status: 502, data: 'Bad Gateway', headers: { 'content-type': 'text/plain' } });
    renderRoute('/');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The service cannot be reached right now (HTTP 502).');
  });
});
