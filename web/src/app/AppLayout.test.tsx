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

  it('shows the signed-in user with their balance; the menu links to the settings and signs out', async () => {
    const server = serveWith({ status: 200, data: verified(ana) });
    renderRoute('/', { language: 'es' });

    const trigger = await screen.findByRole('button', { name: 'Menú de la cuenta de Ana García' });
    expect(trigger).toHaveTextContent('Ana García');
    const balance = screen.getByRole('link', { name: /^Saldo: 10,00\s€$/ });
    expect(balance).toHaveTextContent('10,00 €');
    expect(balance).toHaveAttribute('href', '/client/stats');
    expect(screen.queryByRole('link', { name: 'Iniciar sesión' })).not.toBeInTheDocument();

    await userEvent.click(trigger);
    const menu = await screen.findByRole('menu');
    expect(within(menu).getByText('ana@example.com')).toBeInTheDocument();
    expect(within(menu).getByText('Saldo: 10,00 €')).toBeInTheDocument();
    expect(within(menu).getByRole('menuitem', { name: 'Tu cuenta' })).toHaveAttribute('href', '/client/settings');
    expect(within(menu).getByRole('menuitem', { name: 'Tus pods' })).toHaveAttribute('href', '/client/pods');

    await userEvent.click(within(menu).getByRole('menuitem', { name: 'Cerrar sesión' }));
    expect(await screen.findByRole('link', { name: 'Iniciar sesión' })).toBeInTheDocument();
    expect(requested(server.calls)).toContain('POST /api/auth/logout');
    expect(screen.queryByRole('navigation', { name: 'Navegación principal' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /^Saldo/ })).not.toBeInTheDocument();
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
    await screen.findByRole('button', { name: 'Account menu of Root' });
    const balance = screen.getByRole('link', { name: 'Balance: Unlimited' });
    expect(within(balance).getByText('∞')).toBeInTheDocument();
    expect(balance).not.toHaveTextContent('€');
  });

  it('has no navigation for a signed-out visitor', async () => {
    serveWith({ status: 401, data: { error: { code: 'unauthorized', message: 'Sign in first' } } });
    renderRoute('/');
    await screen.findByRole('link', { name: 'Sign in' });
    expect(screen.queryByRole('navigation', { name: 'Main navigation' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Notifications/ })).not.toBeInTheDocument();
  });

  it("gives a client the client pages only, marking the current one", async () => {
    serveWith({ status: 200, data: verified(ana) });
    renderRoute('/client/help');
    const nav = await screen.findByRole('navigation', { name: 'Main navigation' });
    const links = within(nav).getAllByRole('link');
    expect(links.map((l) => [l.textContent, l.getAttribute('href')])).toEqual([
      ['Overview', '/client/stats'],
      ['Pods', '/client/pods'],
      ['Deploy a pod', '/client/pods/deploy'],
      ['Settings', '/client/settings'],
      ['Help', '/client/help'],
    ]);
    expect(within(nav).getByRole('link', { name: 'Help' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Pods' })).not.toHaveAttribute('aria-current');
    expect(within(nav).queryByText('Administration')).not.toBeInTheDocument();
  });

  it('adds the admin pages for an admin; only the deepest matching entry is current', async () => {
    serveWith({ status: 200, data: verified(admin) });
    renderRoute('/client/pods/deploy');
    const nav = await screen.findByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByText('Administration')).toBeInTheDocument();
    const hrefs = within(nav).getAllByRole('link').map((l) => l.getAttribute('href'));
    expect(hrefs.slice(0, 5)).toEqual(['/client/stats', '/client/pods', '/client/pods/deploy', '/client/settings', '/client/help']);
    expect(hrefs.length).toBeGreaterThan(5);
    expect(within(nav).getByRole('link', { name: 'Deploy a pod' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Pods' })).not.toHaveAttribute('aria-current');
  });

  it('opens and closes the navigation with the burger (phones)', async () => {
    serveWith({ status: 200, data: verified(ana) });
    renderRoute('/client/help');
    const burger = await screen.findByRole('button', { name: 'Open navigation' });
    await userEvent.click(burger);
    expect(screen.getByRole('button', { name: 'Close navigation' })).toBeInTheDocument();
    await userEvent.click(within(screen.getByRole('navigation', { name: 'Main navigation' })).getByRole('link', { name: 'Settings' }));
    // Going somewhere closes it.
    expect(await screen.findByRole('button', { name: 'Open navigation' })).toBeInTheDocument();
  });
});
