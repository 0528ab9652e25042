import { queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components } from '@/api/schema.gen';

export type Status = components['schemas']['Status'];
export type DependencyStatus = components['schemas']['DependencyStatus'];

export async function fetchStatus(signal?: AbortSignal): Promise<Status> {
  const response = await apiClient.get<Status>('/api/status', { signal });
  return response.data;
}

/** GET /api/status: version, uptime and the reachability of the database and Kubernetes. */
export const statusQuery = () =>
  queryOptions({
    queryKey: ['status'] as const,
    queryFn: ({ signal }) => fetchStatus(signal),
    refetchInterval: 15_000,
    meta: { public: true }, // the same for everyone: kept when the user signs out (see clearUserData)
  });
