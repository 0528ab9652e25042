import { expect } from 'vitest';
import type { Session } from './browser';
import { e2eEnv } from './env';

// Test set-up through the API, as the session's user (the browser context's cookies), for what a
// test needs but is not about. What the tests are about goes through the pages.

/** What the web app sends with every state-changing request (the server's CSRF check). */
function csrfHeaders(): Record<string, string> {
  return { origin: e2eEnv.baseUrl(), 'x-requested-with': 'neuropod' };
}

/** One JSON request; fails the test unless it answers `expected`. */
export async function api<T>(session: Session, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, expected = 200): Promise<T> {
  const response = await session.context.request.fetch(path, {
    method,
    headers: method === 'GET' ? {} : csrfHeaders(),
    ...(body !== undefined && { data: body }),
  });
  const text = await response.text();
  expect(response.status(), `${method} ${path}: ${text}`).toBe(expected);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

interface Template extends Record<string, unknown> {
  id: string;
  slug: string;
}

/** A template by slug (GET /api/templates: the enabled ones). */
export async function templateBySlug(session: Session, slug: string): Promise<Template> {
  const { items } = await api<{ items: Template[] }>(session, 'GET', '/api/templates');
  const found = items.find((t) => t.slug === slug);
  expect(found, `template ${slug}`).toBeDefined();
  return found!;
}

/** Sets a template's hourly price (as an admin: PUT /api/admin/templates/{id} takes every field). */
export async function setTemplatePrice(admin: Session, slug: string, eurPerHour: number): Promise<void> {
  const { items } = await api<{ items: Template[] }>(admin, 'GET', '/api/admin/templates');
  const template = items.find((t) => t.slug === slug);
  expect(template, `template ${slug}`).toBeDefined();
  const { id, created_at: _created, updated_at: _updated, ...input } = template!;
  await api(admin, 'PUT', `/api/admin/templates/${id}`, { ...input, price_per_hour_micros: Math.round(eurPerHour * 1_000_000) });
}
