import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { toApiError } from '@/api/apiError';

/**
 * The only HTTP client of the app. Query factories (src/api/queries/) use it; components never do.
 * - baseURL: '' means same origin (the dev server proxies /api to the backend).
 * - withCredentials: the session lives in an HTTP-only cookie.
 * - X-Requested-With: the server's CSRF defence rejects state-changing requests without it
 *   (a cross-site form cannot set custom headers).
 * - Every failure rejects with an ApiError (see apiError.ts).
 */
export function createApiClient(
  overrides: Pick<CreateAxiosDefaults, 'adapter' | 'baseURL' | 'timeout'> = {},
): AxiosInstance {
  const instance = axios.create({
    baseURL: import.meta.env.VITE_API_URL ?? '',
    withCredentials: true,
    timeout: 15_000,
    headers: { 'X-Requested-With': 'neuropod' },
    ...overrides,
  });
  instance.interceptors.response.use(undefined, (error: unknown) => Promise.reject(toApiError(error)));
  return instance;
}

export const apiClient = createApiClient();
