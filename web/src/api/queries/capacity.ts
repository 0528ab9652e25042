import { queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components } from '@/api/schema.gen';

export type Capacity = components['schemas']['Capacity'];
export type NodeCapacity = Capacity['nodes'][number];

export const capacityKeys = {
  all: ['capacity'] as const,
};

export async function fetchCapacity(signal?: AbortSignal): Promise<Capacity> {
  const response = await apiClient.get<Capacity>('/api/capacity', { signal });
  return response.data;
}

/** GET /api/capacity: free CPU, memory and GPUs now (per node too), and how many pods of each tier fit. */
export const capacityQuery = () =>
  queryOptions({
    queryKey: capacityKeys.all,
    queryFn: ({ signal }) => fetchCapacity(signal),
    refetchInterval: 30_000,
  });
