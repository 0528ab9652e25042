import { hashKey, mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import { ApiError } from '@/api/apiError';
import { apiClient } from '@/api/client';
import { shouldRetry } from '@/api/retry';
import type { components, operations } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type AuthConfig = Schemas['AuthConfig'];
export type User = Schemas['User'];
export type Role = Schemas['Role'];
export type Session = Schemas['Session'];
export type VerifyResponse = Schemas['VerifyResponse'];
export type SignInResponse = Schemas['SignInResponse'];
export type DevLoginRequest = Schemas['DevLoginRequest'];
export type SessionList = operations['listSessions']['responses'][200]['content']['application/json'];
export type LogoutAllResponse = operations['logoutEverywhere']['responses'][200]['content']['application/json'];

/** Who is signed in: the verify answer, or null when nobody is (the server said 401). */
export type Me = VerifyResponse | null;

export const authKeys = {
  all: ['auth'] as const,
  config: ['auth', 'config'] as const,
  me: ['auth', 'me'] as const,
  sessions: ['auth', 'sessions'] as const,
};

/** GET /api/auth/verify answers 403 account_blocked for a blocked user's session. */
export function isAccountBlocked(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'account_blocked';
}

export async function fetchAuthConfig(signal?: AbortSignal): Promise<AuthConfig> {
  const response = await apiClient.get<AuthConfig>('/api/auth/config', { signal });
  return response.data;
}

/** GET /api/auth/verify. A 401 is not a failure here: it means "signed out" and resolves to null. */
export async function fetchMe(signal?: AbortSignal): Promise<Me> {
  try {
    const response = await apiClient.get<VerifyResponse>('/api/auth/verify', { signal });
    return response.data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return null;
    }
    throw error;
  }
}

export async function fetchSessions(signal?: AbortSignal): Promise<Session[]> {
  const response = await apiClient.get<SessionList>('/api/auth/sessions', { signal });
  return response.data.items;
}

/**
 * `meta.public`: the data does not depend on who is signed in, so signing out keeps it
 * (see clearUserData). Every other query is dropped when the user changes.
 */
const PUBLIC = { public: true } as const;

/** GET /api/auth/config: which sign-in methods the server offers. Fixed while the server runs. */
export const authConfigQuery = () =>
  queryOptions({
    queryKey: authKeys.config,
    queryFn: ({ signal }) => fetchAuthConfig(signal),
    staleTime: 5 * 60_000,
    meta: PUBLIC,
  });

/**
 * The signed-in user (role, balance, blocked) and the id of this session; `null` when signed out.
 * A blocked account rejects with an ApiError whose code is `account_blocked` (see isAccountBlocked).
 */
export const meQuery = () =>
  queryOptions({
    queryKey: authKeys.me,
    queryFn: ({ signal }) => fetchMe(signal),
    // Stated here, not left to the QueryClient's defaults: a 401 resolves to null, and a 403 or any
    // other 4xx is never asked again; only network failures and 5xx are retried.
    retry: shouldRetry,
    // Every guarded page and the header read it: one request per half minute (and on window focus).
    staleTime: 30_000,
  });

/** GET /api/auth/sessions: the user's active sessions, newest first; `current` marks this browser's. */
export const sessionsQuery = () =>
  queryOptions({
    queryKey: authKeys.sessions,
    queryFn: ({ signal }) => fetchSessions(signal),
  });

/**
 * Forgets everything cached about the previous user (all queries but the public ones and `me`).
 * Called whenever the signed-in user changes, so that nobody sees someone else's data.
 */
export function clearUserData(client: QueryClient): void {
  client.removeQueries({
    predicate: (query) => query.meta?.public !== true && query.queryHash !== hashKey(authKeys.me),
  });
}

/** The browser is signed out: `me` becomes null (guards redirect, the header offers "Sign in"). */
export function markSignedOut(client: QueryClient): void {
  client.setQueryData(meQuery().queryKey, null);
  clearUserData(client);
}

/**
 * Where the "Sign in with Google" link points. A full-page navigation (a link, not XHR): the server
 * answers with a redirect to Google and, after sign-in, back to the app at `returnTo`.
 */
export function googleSignInUrl(returnTo: string): string {
  return apiClient.getUri({ url: '/api/auth/google', params: { return_to: returnTo } });
}

// Mutations: `useMutation(devLoginMutation())`. The callbacks get the QueryClient from the context.

/** POST /api/auth/dev-login (only when authConfig.dev_login): signs in by email, no Google. */
export const devLoginMutation = () =>
  mutationOptions({
    mutationKey: ['auth', 'dev-login'],
    mutationFn: async (body: DevLoginRequest) => {
      const response = await apiClient.post<SignInResponse>('/api/auth/dev-login', body);
      return response.data;
    },
    onSuccess: (data, _variables, _result, { client }) => {
      clearUserData(client);
      const me: Me = { user: data.user, session: { id: data.session.id } };
      client.setQueryData(meQuery().queryKey, me);
    },
  });

/** A 401 while signing out means the session had already ended: the goal is reached all the same. */
function ignoreUnauthorized(error: unknown): void {
  if (!(error instanceof ApiError && error.status === 401)) {
    throw error;
  }
}

/** POST /api/auth/logout: ends this session. */
export const logoutMutation = () =>
  mutationOptions({
    mutationKey: ['auth', 'logout'],
    mutationFn: async () => {
      await apiClient.post('/api/auth/logout').catch(ignoreUnauthorized);
    },
    onSuccess: (_data, _variables, _result, { client }) => markSignedOut(client),
  });

/** POST /api/auth/logout-all: ends every session of the user, this one included. */
export const logoutAllMutation = () =>
  mutationOptions({
    mutationKey: ['auth', 'logout-all'],
    mutationFn: async (): Promise<LogoutAllResponse | null> => {
      try {
        const response = await apiClient.post<LogoutAllResponse>('/api/auth/logout-all');
        return response.data;
      } catch (error) {
        ignoreUnauthorized(error);
        return null;
      }
    },
    onSuccess: (_data, _variables, _result, { client }) => markSignedOut(client),
  });

/** DELETE /api/auth/sessions/{id}: ends one of the user's sessions (e.g. a lost laptop). */
export const revokeSessionMutation = () =>
  mutationOptions({
    mutationKey: ['auth', 'revoke-session'],
    mutationFn: async (id: string) => {
      await apiClient.delete(`/api/auth/sessions/${encodeURIComponent(id)}`);
    },
    onSuccess: async (_data, id, _result, { client }) => {
      client.setQueryData(sessionsQuery().queryKey, (sessions) => sessions?.filter((s) => s.id !== id));
      await client.invalidateQueries({ queryKey: authKeys.sessions });
    },
  });
