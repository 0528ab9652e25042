import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Pricing } from '@/api/queries/catalog';
import { ana, verified } from '@/test/fixtures';
import { fakeServer, renderRoute, serve } from '@/test/render';

const pricing: Pricing = {
  tiers: [
    { id: 'small', name: 'Small', cpu: '1', memory: '2Gi', price_per_hour_micros: 100_000 },
    { id: 'large', name: 'Large', cpu: '4', memory: '16Gi', price_per_hour_micros: 400_000 },
  ],
  gpu_price_per_hour_micros: 1_000_000,
  min_runway_minutes: 30,
  max_running_pods_per_user: 3,
  idle_timeout_minutes: 0,
  base_domain: 'pods.example.com',
};

function helpServer() {
  serve(
    fakeServer({
      'GET /api/auth/verify': { status: 200, data: verified(ana) },
      'GET /api/pricing': { status: 200, data: pricing },
    }).adapter,
  );
}

describe('HelpPage (/client/help)', () => {
  it('explains the workspace and the current prices, in English', async () => {
    helpServer();
    renderRoute('/client/help');
    expect(await screen.findByRole('heading', { level: 1, name: 'Help' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Your files: /workspace' })).toHaveTextContent(
      'Anything saved elsewhere in the container is lost when the pod stops.',
    );
    const prices = screen.getByRole('region', { name: 'Pricing' });
    const table = await within(prices).findByRole('table', { name: 'Prices of the resources for custom images' });
    expect(within(table).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual([
      'Small1 CPU · 2Gi memory€0.10/h',
      'Large4 CPU · 16Gi memory€0.40/h',
    ]);
    expect(prices).toHaveTextContent('Each GPU adds €1.00 per hour.');
    expect(prices).toHaveTextContent('at least 30 minutes');
    expect(prices).toHaveTextContent('Idle pods are not stopped on this server.');
  });

  it('answers the frequent questions in Spanish, opening each from the keyboard', async () => {
    helpServer();
    renderRoute('/client/help', { language: 'es' });
    expect(await screen.findByRole('heading', { level: 1, name: 'Ayuda' })).toBeInTheDocument();
    const faq = screen.getByRole('region', { name: 'Preguntas frecuentes' });
    const question = within(faq).getByRole('button', { name: 'He perdido mis archivos tras un reinicio.' });
    expect(question).toHaveAttribute('aria-expanded', 'false');
    question.focus();
    await userEvent.keyboard('{Enter}');
    expect(question).toHaveAttribute('aria-expanded', 'true');
    // The panel opens with a transition: how far it got right after the key press depends on timing.
    const answer = within(faq).getByText(/Solo la carpeta del espacio de trabajo es persistente/);
    await waitFor(() => expect(answer).toBeVisible());
    const start = screen.getByRole('region', { name: 'Primeros pasos' });
    expect(within(start).getByRole('link', { name: 'Desplegar un pod' })).toHaveAttribute('href', '/client/pods/deploy');
  });
});
