import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { RouteObject } from 'react-router';
import { describe, expect, it } from 'vitest';
import { RequireAdmin, RequireAuth } from '@/app/guards';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, requested, serve } from '@/test/render';

/** A small route table: the guards around a marker, and a login page that shows where it was sent. */
const table: RouteObject[] = [
  { path: '/login', element: <p>login page</p> },
  { path: '/private', element: <RequireAuth><p>private area</p></RequireAuth> },
  { element: <RequireAdmin />, children: [{ path: '/admin', element: <p>admin area</p> }] },
];

const blocked = { status: 403, data: { error: { code: 'account_blocked', message: 'This account is blocked.' } } };

describe('RequireAuth', () => {
  it('sends a signed-out visitor (401) to /login with the page and its query as return_to', async () => {
    const server = fakeServer({}); // GET /api/auth/verify -> 401
    serve(server.adapter);
    const { router } = renderRoute('/account?tab=sessions');

    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to Neuropod' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe(`?return_to=${encodeURIComponent('/account?tab=sessions')}`);
    expect(screen.queryByRole('heading', { name: 'Your account' })).not.toBeInTheDocument();
    // A 401 is an answer, not a failure: asked once, no retries, no error shown.
    expect(requested(server.calls).filter((c) => c === 'GET /api/auth/verify')).toHaveLength(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('replaces the guarded page in the history (Back does not loop through the redirect)', async () => {
    serve(fakeServer({}).adapter);
    const { router } = renderRoute('/private', { table });
    expect(await screen.findByText('login page')).toBeInTheDocument();
    expect(router.state.historyAction).toBe('REPLACE');
  });

  it('shows the page to a signed-in user', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(ana) } }).adapter);
    renderRoute('/private', { table });
    expect(await screen.findByText('private area')).toBeInTheDocument();
  });

  it('explains that the account is blocked (403 account_blocked, or a user marked blocked)', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': blocked }).adapter);
    const first = renderRoute('/private', { table });
    expect(await screen.findByRole('heading', { name: 'Your account is blocked' })).toBeInTheDocument();
    expect(screen.queryByText('private area')).not.toBeInTheDocument();
    expect(first.router.state.location.pathname).toBe('/private');
    first.unmount();

    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified({ ...ana, blocked: true }) } }).adapter);
    renderRoute('/private', { table, language: 'es' });
    expect(await screen.findByRole('heading', { name: 'Tu cuenta está bloqueada' })).toBeInTheDocument();
    expect(screen.queryByText('private area')).not.toBeInTheDocument();
  });

  it('shows a loading state, then a failure to reach the server with a retry (not a redirect)', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/verify': () =>
          ++replies === 1
            ? { status: 429, data: { error: { code: 'too_many_requests', message: 'Slow down' } } }
            : { status: 200, data: verified(ana) },
      }).adapter,
    );
    const { router } = renderRoute('/private', { table });
    expect(screen.getByRole('status', { name: 'Loading…' })).toBeInTheDocument();
    expect(await screen.findByRole('alert')).toHaveTextContent('Slow down');
    expect(router.state.location.pathname).toBe('/private');
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('private area')).toBeInTheDocument();
  });
});

describe('RequireAdmin', () => {
  it('refuses a client with a "not allowed" page', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(ana) } }).adapter);
    const { router } = renderRoute('/admin', { table });
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    expect(screen.getByText('This page is only for administrators.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to the home page' })).toHaveAttribute('href', '/');
    expect(screen.queryByText('admin area')).not.toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/admin');
  });

  it('admits an admin', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(admin) } }).adapter);
    renderRoute('/admin', { table });
    expect(await screen.findByText('admin area')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Not allowed' })).not.toBeInTheDocument();
  });

  it('sends a signed-out visitor to /login like RequireAuth', async () => {
    serve(fakeServer({}).adapter);
    const { router } = renderRoute('/admin', { table });
    expect(await screen.findByText('login page')).toBeInTheDocument();
    expect(router.state.location.search).toBe('?return_to=%2Fadmin');
  });
});
