import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { AxiosError } from 'axios';
import type { ReactElement, ReactNode } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import { onTestFinished } from 'vitest';
import { apiClient } from '@/api/client';
import type { SocketFactory } from '@/api/realtime';
import { AppProviders } from '@/app/AppProviders';
import { routes } from '@/app/routes';
import type { Language } from '@/i18n/messages';
import { fakeSockets } from '@/test/fakeSocket';

/** A QueryClient for tests: no retries, so an error shows at once. */
export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, refetchInterval: false } } });
}

interface Options {
  language?: Language;
  queryClient?: QueryClient;
  /**
   * The live updates' sockets (see fakeSockets()). By default fake ones that never open: no test
   * reaches for a real server, and a signed-in page renders without events.
   */
  createSocket?: SocketFactory;
}

/** Renders `ui` inside the app's providers (kept on rerender). Language: English unless told. */
export function renderWithProviders(
  ui: ReactElement,
  { language = 'en', queryClient = testQueryClient(), createSocket = fakeSockets().factory }: Options = {},
) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AppProviders queryClient={queryClient} language={language} mantineEnv="test" createSocket={createSocket}>
      {children}
    </AppProviders>
  );
  return { queryClient, ...render(ui, { wrapper }) };
}

/** The real route table (or `table`) at `path`, as the app renders it. `router.state.location` is where it ended up. */
export function renderRoute(path: string, options: Options & { table?: RouteObject[] } = {}) {
  const router = createMemoryRouter(options.table ?? routes, { initialEntries: [path] });
  return { router, ...renderWithProviders(<RouterProvider router={router} />, options) };
}

/** Makes the app's axios client use `adapter` until the end of the current test. */
export function serve(adapter: AxiosAdapter): void {
  const original = apiClient.defaults.adapter;
  apiClient.defaults.adapter = adapter;
  onTestFinished(() => {
    apiClient.defaults.adapter = original;
  });
}

export interface FakeReply {
  status: number;
  data?: unknown;
  headers?: Record<string, string>;
}

/**
 * An axios adapter that answers like a server would: a 2xx resolves, anything else rejects with an
 * AxiosError carrying the response (what axios's own http/xhr adapters do). `calls` records each request.
 */
export function fakeAdapter(reply: FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply | Promise<FakeReply>)) {
  const calls: InternalAxiosRequestConfig[] = [];
  const adapter: AxiosAdapter = async (config) => {
    calls.push(config);
    const { status, data, headers = {} } = typeof reply === 'function' ? await reply(config) : reply;
    const response: AxiosResponse = {
      status,
      statusText: String(status),
      data,
      headers: { 'content-type': 'application/json', ...headers },
      config,
    };
    if (config.validateStatus?.(status) ?? (status >= 200 && status < 300)) {
      return response;
    }
    throw new AxiosError(`Request failed with status code ${status}`, AxiosError.ERR_BAD_RESPONSE, config, {}, response);
  };
  return { adapter, calls };
}

/** An adapter whose request fails before any response, like a refused connection or a timeout. */
export function failingAdapter(code: string, message: string): AxiosAdapter {
  return async (config) => {
    throw new AxiosError(message, code, config, {});
  };
}

type Handler = FakeReply | ((config: InternalAxiosRequestConfig) => FakeReply | Promise<FakeReply>);

/** What every page asks for and a test may not care about: by default nobody is signed in. */
const DEFAULT_ROUTES: Record<string, Handler> = {
  'GET /api/auth/verify': { status: 401, data: { error: { code: 'unauthorized', message: 'Sign in first' } } },
};

/**
 * A fake API answering by `METHOD /path` (e.g. `'DELETE /api/auth/sessions/s2'`); unknown routes get a
 * 404 route_not_found, and GET /api/auth/verify a 401 unless the test says otherwise.
 */
export function fakeServer(table: Record<string, Handler>) {
  return fakeAdapter((config) => {
    const key = `${(config.method ?? 'get').toUpperCase()} ${config.url ?? ''}`;
    const handler = table[key] ?? DEFAULT_ROUTES[key];
    if (handler === undefined) {
      return { status: 404, data: { error: { code: 'route_not_found', message: `No fake route for ${key}` } } };
    }
    return typeof handler === 'function' ? handler(config) : handler;
  });
}

/** The URLs a fake adapter was asked for, as `METHOD /path`. */
export function requested(calls: InternalAxiosRequestConfig[]): string[] {
  return calls.map((config) => `${(config.method ?? 'get').toUpperCase()} ${config.url ?? ''}`);
}
