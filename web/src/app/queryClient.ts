import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '@/api/apiError';

const MAX_RETRIES = 2;

/** A 4xx is an answer, not a failure: asking again gives the same. Network errors and 5xx are retried. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
    return false;
  }
  return failureCount < MAX_RETRIES;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
}
