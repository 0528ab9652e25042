import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AuthConfig, SignInResponse } from '@/api/queries/auth';
import { ana, session, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, requested, serve } from '@/test/render';

const googleOnly: AuthConfig = { google: { enabled: true, client_id: 'client-123' }, dev_login: false };
const devOnly: AuthConfig = { google: { enabled: false }, dev_login: true };

const signedIn: SignInResponse = {
  user: ana,
  session: session({ id: '65b000000000000000000009', method: 'dev', current: true }),
};

describe('LoginPage (/login)', () => {
  it('offers Google, linking to /api/auth/google with return_to, and no development form', async () => {
    serve(fakeServer({ 'GET /api/auth/config': { status: 200, data: googleOnly } }).adapter);
    renderRoute(`/login?return_to=${encodeURIComponent('/account?tab=sessions')}`);

    const google = await screen.findByRole('link', { name: 'Sign in with Google' });
    expect(google).toHaveAttribute('href', '/api/auth/google?return_to=%2Faccount%3Ftab%3Dsessions');
    expect(screen.queryByRole('form', { name: 'Development sign-in' })).not.toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'Email' })).not.toBeInTheDocument();
  });

  it('sends Google back to / when return_to is missing or points elsewhere', async () => {
    serve(fakeServer({ 'GET /api/auth/config': { status: 200, data: googleOnly } }).adapter);
    renderRoute(`/login?return_to=${encodeURIComponent('https://evil.example/')}`);
    expect(await screen.findByRole('link', { name: 'Sign in with Google' })).toHaveAttribute(
      'href',
      '/api/auth/google?return_to=%2F',
    );
  });

  it('shows the development form, with its warning, only when dev_login is on; signs in and goes to return_to', async () => {
    const server = fakeServer({
      'GET /api/auth/config': { status: 200, data: devOnly },
      'POST /api/auth/dev-login': { status: 200, data: signedIn },
      'GET /api/auth/sessions': { status: 200, data: { items: [signedIn.session] } },
    });
    serve(server.adapter);
    const { router } = renderRoute('/login?return_to=%2Fclient%2Fsettings');

    const form = await screen.findByRole('form', { name: 'Development sign-in' });
    expect(within(form).getByRole('note')).toHaveTextContent(/local development only/);
    expect(screen.queryByRole('link', { name: 'Sign in with Google' })).not.toBeInTheDocument();

    await userEvent.type(within(form).getByRole('textbox', { name: 'Email' }), 'ana@example.com');
    await userEvent.type(within(form).getByLabelText('Name (optional)'), 'Ana García');
    await userEvent.click(within(form).getByRole('button', { name: 'Sign in (development)' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/client/settings');
    const post = server.calls.find((c) => c.method === 'post' && c.url === '/api/auth/dev-login');
    expect(JSON.parse(String(post?.data))).toEqual({ email: 'ana@example.com', name: 'Ana García' });
    // The header knows who signed in at once (the dev-login answer fills `me`).
    expect(screen.getByRole('button', { name: 'Account menu of Ana García' })).toBeInTheDocument();
  });

  it('checks the email before posting, and leaves out an empty name', async () => {
    const server = fakeServer({
      'GET /api/auth/config': { status: 200, data: devOnly },
      'POST /api/auth/dev-login': { status: 200, data: signedIn },
    });
    serve(server.adapter);
    const { router } = renderRoute('/login');

    const submit = await screen.findByRole('button', { name: 'Sign in (development)' });
    await userEvent.click(submit);
    expect(screen.getByText('Enter an email address.')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Email' })).toHaveAttribute('aria-invalid', 'true');

    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), 'not-an-email');
    await userEvent.click(submit);
    expect(screen.getByText('Enter a valid email address, such as ana@example.com.')).toBeInTheDocument();
    expect(requested(server.calls)).not.toContain('POST /api/auth/dev-login');

    await userEvent.clear(screen.getByRole('textbox', { name: 'Email' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Email' }), '  ana@example.com ');
    await userEvent.keyboard('{Enter}'); // the form submits from the keyboard too
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    const post = server.calls.find((c) => c.url === '/api/auth/dev-login');
    expect(JSON.parse(String(post?.data))).toEqual({ email: 'ana@example.com' });
  });

  it("shows the server's field error and a blocked account's refusal", async () => {
    let reply = 0;
    serve(
      fakeServer({
        'GET /api/auth/config': { status: 200, data: devOnly },
        'POST /api/auth/dev-login': () =>
          ++reply === 1
            ? {
                status: 400,
                data: {
                  error: {
                    code: 'validation_failed',
                    message: 'The body is invalid',
                    details: { fields: [{ field: 'email', message: 'is not an email address' }] },
                  },
                },
              }
            : { status: 403, data: { error: { code: 'account_blocked', message: 'This account is blocked.' } } },
      }).adapter,
    );
    renderRoute('/login');
    await userEvent.type(await screen.findByRole('textbox', { name: 'Email' }), 'ana@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in (development)' }));
    expect(await screen.findByText('is not an email address')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Sign in (development)' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Your account is blocked. Contact the administrator if you think this is a mistake.',
    );
  });

  it('renders ?error=blocked as a translated message', async () => {
    serve(fakeServer({ 'GET /api/auth/config': { status: 200, data: googleOnly } }).adapter);
    renderRoute('/login?error=blocked');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('You are not signed in');
    expect(alert).toHaveTextContent('Your account is blocked. Contact the administrator if you think this is a mistake.');
    expect(alert).not.toHaveTextContent('blocked_'); // never the raw code
  });

  it.each([
    ['blocked', 'es', 'Tu cuenta está bloqueada. Contacta con el administrador si crees que es un error.'],
    ['state_reused', 'en', 'This sign-in attempt expired or was already used. Start again.'],
    ['wrong_audience', 'en', "Google's answer could not be verified, so you were not signed in. Try again."],
    ['rate_limited', 'es', 'Demasiados intentos de inicio de sesión. Espera un minuto y vuelve a intentarlo.'],
    ['something_new', 'en', 'Sign-in failed. Try again.'],
    ['toString', 'en', 'Sign-in failed. Try again.'],
  ] as const)('?error=%s in %s reads "%s"', async (reason, language, text) => {
    serve(fakeServer({ 'GET /api/auth/config': { status: 200, data: googleOnly } }).adapter);
    renderRoute(`/login?error=${reason}`, { language });
    expect(await screen.findByRole('alert')).toHaveTextContent(text);
  });

  it('sends a user who is already signed in to return_to', async () => {
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 200, data: verified(ana) },
        'GET /api/auth/config': { status: 200, data: googleOnly },
        'GET /api/auth/sessions': { status: 200, data: { items: [] } },
      }).adapter,
    );
    const { router } = renderRoute('/login?return_to=%2Fclient%2Fsettings');
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/client/settings');
  });

  it('shows a loading state, then the error of the config request with a retry', async () => {
    let replies = 0;
    serve(
      fakeServer({
        'GET /api/auth/config': () =>
          ++replies === 1
            ? { status: 503, data: { error: { code: 'service_unavailable', message: 'Starting up' } } }
            : { status: 200, data: googleOnly },
      }).adapter,
    );
    renderRoute('/login');
    expect(screen.getByRole('status', { name: 'Loading…' })).toBeInTheDocument();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Starting up');
    await userEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('link', { name: 'Sign in with Google' })).toBeInTheDocument();
  });

  it('says so when the server offers no way to sign in', async () => {
    serve(fakeServer({ 'GET /api/auth/config': { status: 200, data: { google: { enabled: false }, dev_login: false } } }).adapter);
    renderRoute('/login');
    expect(await screen.findByText(/offers no way to sign in/)).toBeInTheDocument();
  });
});
