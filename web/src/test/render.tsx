import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { AxiosError } from 'axios';
import type { ReactElement, ReactNode } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { AppProviders } from '@/app/AppProviders';
import { routes } from '@/app/routes';
import type { Language } from '@/i18n/messages';

/** A QueryClient for tests: no retries, so an error shows at once. */
export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, refetchInterval: false } } });
}

interface Options {
  language?: Language;
  queryClient?: QueryClient;
}

/** Renders `ui` inside the app's providers (kept on rerender). Language: English unless told. */
export function renderWithProviders(ui: ReactElement, { language = 'en', queryClient = testQueryClient() }: Options = {}) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AppProviders queryClient={queryClient} language={language}>
      {children}
    </AppProviders>
  );
  return { queryClient, ...render(ui, { wrapper }) };
}

/** The real route table at `path`, as the app renders it. */
export function renderRoute(path: string, options: Options = {}) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  return renderWithProviders(<RouterProvider router={router} />, options);
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
