import { configure, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { admin, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, serve } from '@/test/render';

configure({ asyncUtilTimeout: 5_000 });
vi.setConfig({ testTimeout: 30_000 });

describe('AdminHelpPage (/admin/help)', () => {
  it('explains each admin page, with a table of contents and links to the pages', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(admin) } }).adapter);
    renderRoute('/admin/help');
    expect(await screen.findByRole('heading', { level: 1, name: 'Help for administrators' })).toBeInTheDocument();
    const contents = screen.getByRole('navigation', { name: 'Contents' });
    expect(within(contents).getByRole('link', { name: 'Users and credit' })).toHaveAttribute('href', '#help-users');
    const users = screen.getByRole('region', { name: 'Users and credit' });
    expect(users).toHaveTextContent('A reason is required');
    expect(within(users).getByRole('link', { name: 'Go to Users' })).toHaveAttribute('href', '/admin/users');
    expect(screen.getAllByRole('heading', { level: 2 })).toHaveLength(6);
  });

  it('is in Spanish too', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(admin) } }).adapter);
    renderRoute('/admin/help', { language: 'es' });
    expect(await screen.findByRole('heading', { level: 1, name: 'Ayuda para administradores' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Precios y ajustes' })).toHaveTextContent('Los clientes pagan por minuto');
  });
});
