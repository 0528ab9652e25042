import { ApiError } from '@/api/apiError';

const MAX_RETRIES = 2;

/**
 * The app's retry policy for queries. A 4xx is an answer, not a failure: asking again gives the same
 * (that includes 401 and 403). Network errors and 5xx are retried twice.
 */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
    return false;
  }
  return failureCount < MAX_RETRIES;
}
