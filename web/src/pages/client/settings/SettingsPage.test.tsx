import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Session, User } from '@/api/queries/auth';
import { LANGUAGE_STORAGE_KEY } from '@/i18n/language';
import { admin, ana, session, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, requested, serve } from '@/test/render';

const here = session({ id: '65b000000000000000000001', current: true, ip: '198.51.100.1', user_agent: 'Mozilla/5.0 (Macintosh) Safari/605.1' });
const laptop = session({ id: '65b0000000000000000000aa', ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' });
const phone = session({ id: '65b0000000000000000000bb', method: 'dev', ip: '192.0.2.44', user_agent: '' });

/** A server where `user` is signed in with sessions that a DELETE really removes. */
function signedInServer(user: User, initial: Session[]) {
  let sessions = [...initial];
  const server = fakeServer({
    'GET /api/auth/verify': { status: 200, data: verified(user, here.id) },
    'GET /api/auth/sessions': () => ({ status: 200, data: { items: sessions } }),
    'POST /api/auth/logout-all': { status: 200, data: { sessions_ended: sessions.length } },
    ...Object.fromEntries(
      initial.map((s) => [
        `DELETE /api/auth/sessions/${s.id}`,
        () => {
          sessions = sessions.filter((other) => other.id !== s.id);
          return { status: 204 };
        },
      ]),
    ),
  });
  serve(server.adapter);
  return server;
}

function rowOf(text: string): HTMLElement {
  const row = screen.getByText(text).closest('tr');
  expect(row).not.toBeNull();
  return row!;
}

describe('SettingsPage (/client/settings)', () => {
  it("shows the user's name, email, role and balance in euros", async () => {
    signedInServer(ana, [here]);
    renderRoute('/client/settings', { language: 'es' });

    expect(await screen.findByRole('heading', { level: 1, name: 'Ajustes' })).toBeInTheDocument();
    const profile = screen.getByRole('region', { name: 'Perfil' });
    expect(within(profile).getByRole('group', { name: 'Nombre' })).toHaveTextContent('Ana García');
    expect(within(profile).getByRole('group', { name: 'Correo electrónico' })).toHaveTextContent('ana@example.com');
    expect(within(profile).getByRole('group', { name: 'Rol' })).toHaveTextContent('Cliente');
    expect(within(within(profile).getByRole('group', { name: 'Saldo' })).getByText('10,00 €')).toBeInTheDocument();
  });

  it('shows ∞ (read as "Unlimited") for an admin, whose balance is null', async () => {
    signedInServer(admin, [here]);
    renderRoute('/client/settings');
    const balance = await screen.findByRole('group', { name: 'Balance' });
    expect(within(balance).getByText('∞')).toBeInTheDocument();
    expect(balance).toHaveTextContent('Unlimited');
    expect(balance).not.toHaveTextContent('€');
    expect(screen.getByRole('group', { name: 'Role' })).toHaveTextContent('Administrator');
  });

  it('lists the active sessions, this device first and without a revoke button', async () => {
    signedInServer(ana, [laptop, here, phone]);
    renderRoute('/client/settings');

    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row').slice(1); // without the header row
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Safari/605.1');
    expect(within(rows[0]!).getByText('This device')).toBeInTheDocument();
    expect(within(rows[0]!).queryByRole('button', { name: 'Revoke' })).not.toBeInTheDocument();

    const other = rowOf('Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    expect(within(other).getByText('203.0.113.7')).toBeInTheDocument();
    expect(within(other).queryByText('This device')).not.toBeInTheDocument();
    expect(within(other).getByRole('button', { name: 'Revoke' })).toHaveAccessibleDescription(
      'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    );
    expect(within(rowOf('192.0.2.44')).getByText('Unknown device')).toBeInTheDocument();
    expect(within(rowOf('192.0.2.44')).getByText('Development sign-in')).toBeInTheDocument();
  });

  it('revokes one session: DELETE with its id, and the row goes away', async () => {
    const server = signedInServer(ana, [here, laptop, phone]);
    renderRoute('/client/settings');

    await screen.findByRole('table');
    await userEvent.click(within(rowOf('203.0.113.7')).getByRole('button', { name: 'Revoke' }));

    await waitFor(() => expect(screen.queryByText('203.0.113.7')).not.toBeInTheDocument());
    const deletes = requested(server.calls).filter((c) => c.startsWith('DELETE'));
    expect(deletes).toEqual([`DELETE /api/auth/sessions/${laptop.id}`]);
    expect(screen.getByText('192.0.2.44')).toBeInTheDocument();
    expect(screen.getAllByRole('row')).toHaveLength(3);
  });

  it('shows why a revoke failed', async () => {
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana, here.id) },
        'GET /api/auth/sessions': { status: 200, data: { items: [here, laptop] } },
        [`DELETE /api/auth/sessions/${laptop.id}`]: {
          status: 404,
          data: { error: { code: 'not_found', message: 'Session not found' } },
        },
      }).adapter,
    );
    renderRoute('/client/settings');
    await screen.findByRole('table');
    await userEvent.click(screen.getByRole('button', { name: 'Revoke' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Session not found');
  });

  it('signs out everywhere: POST logout-all, then the login page', async () => {
    const server = signedInServer(ana, [here, laptop]);
    const { router } = renderRoute('/client/settings');

    await userEvent.click(await screen.findByRole('button', { name: 'Sign out everywhere' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to Neuropod' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/login');
    expect(requested(server.calls)).toContain('POST /api/auth/logout-all');
    expect(screen.queryByRole('button', { name: /Account menu/ })).not.toBeInTheDocument();
  });

  it('keeps /account working: it redirects to /client/settings', async () => {
    signedInServer(ana, [here]);
    const { router } = renderRoute('/account');
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/client/settings');
  });

  it('changes the language of the whole app, and remembers it', async () => {
    signedInServer(ana, [here]);
    renderRoute('/client/settings');
    const card = await screen.findByRole('region', { name: 'Language' });
    await userEvent.click(within(card).getByRole('radio', { name: 'Español' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Ajustes' })).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Navegación principal' })).toBeInTheDocument();
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('es');
  });
});
