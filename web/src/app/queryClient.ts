import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { ApiError } from '@/api/apiError';
import { meQuery } from '@/api/queries/auth';
import { shouldRetry } from '@/api/retry';

export function createQueryClient(): QueryClient {
  // Any 401 means the session is gone (expired, revoked from another device, signed out elsewhere):
  // `me` becomes null, so the guards send the user to /login and the header offers "Sign in".
  const signedOutOn401 = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) {
      client.setQueryData(meQuery().queryKey, null);
    }
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: signedOutOn401 }),
    mutationCache: new MutationCache({ onError: signedOutOn401 }),
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
  return client;
}
