import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Status } from '@/api/queries/system';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, requested, serve, type FakeReply } from '@/test/render';

const status: Status = {
  name: 'neuropod',
  version: '0.1.0-test',
  uptime_seconds: 5,
  time: '2026-01-01T00:00:00Z',
  database: { status: 'ok' },
  kubernetes: { status: 'ok' },
};

function serveWith(verify: FakeReply) {
  const server = fakeServer({
    'GET /api/status': { status: 200, data: status },
    'GET /api/auth/verify': verify,
    'POST /api/auth/logout': { status: 204 },
  });
  serve(server.adapter);
  return server;
}

describe('header (AppLayout)', () => {
  it('offers "Sign in" to a signed-out visitor, coming back to the current page', async () => {
    serveWith({ status: 401, data: { error: { code: 'unauthorized', message: 'Sign in first' } } });
    renderRoute('/no-such-page?x=1');
    expect(await screen.findByRole('link', { name: 'Sign in' })).toHaveAttribute(
      'href',
      `/login?return_to=${encodeURIComponent('/no-such-page?x=1')}`,
    );
    expect(screen.queryByRole('button', { name: /Account menu/ })).not.toBeInTheDocument();
  });

  it('shows the signed-in user with their balance; the menu links to /account and signs out', async () => {
    const server = serveWith({ status: 200, data: verified(ana) });
    renderRoute('/', { language: 'es' });

    const trigger = await screen.findByRole('button', { name: 'Menú de la cuenta de Ana García' });
    expect(trigger).toHaveTextContent('Ana García');
    expect(trigger).toHaveTextContent('10,00 €');
    expect(screen.queryByRole('link', { name: 'Iniciar sesión' })).not.toBeInTheDocument();

    await userEvent.click(trigger);
    const menu = await screen.findByRole('menu');
    expect(within(menu).getByText('ana@example.com')).toBeInTheDocument();
    expect(within(menu).getByText('Saldo: 10,00 €')).toBeInTheDocument();
    expect(within(menu).getByRole('menuitem', { name: 'Tu cuenta' })).toHaveAttribute('href', '/account');
    expect(within(menu).getByRole('menuitem', { name: 'Tus pods' })).toHaveAttribute('href', '/client/pods');

    await userEvent.click(within(menu).getByRole('menuitem', { name: 'Cerrar sesión' }));
    expect(await screen.findByRole('link', { name: 'Iniciar sesión' })).toBeInTheDocument();
    expect(requested(server.calls)).toContain('POST /api/auth/logout');
    expect(screen.queryByRole('button', { name: /Menú de la cuenta/ })).not.toBeInTheDocument();
  });

  it('opens the menu from the keyboard', async () => {
    serveWith({ status: 200, data: verified(ana) });
    renderRoute('/');
    const trigger = await screen.findByRole('button', { name: 'Account menu of Ana García' });
    trigger.focus();
    await userEvent.keyboard('{Enter}');
    expect(await screen.findByRole('menuitem', { name: 'Your account' })).toBeInTheDocument();
  });

  it('shows ∞ for an admin', async () => {
    serveWith({ status: 200, data: verified(admin) });
    renderRoute('/');
    const trigger = await screen.findByRole('button', { name: 'Account menu of Root' });
    expect(within(trigger).getByText('∞')).toBeInTheDocument();
    expect(trigger).not.toHaveTextContent('€');
  });
});
