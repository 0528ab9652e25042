import { mutationOptions, queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import { catalogKeys } from '@/api/queries/catalog';
import type { components } from '@/api/schema.gen';

export type Settings = components['schemas']['Settings'];

export const adminSettingsKeys = {
  all: ['admin', 'settings'] as const,
};

export async function fetchSettings(signal?: AbortSignal): Promise<Settings> {
  const response = await apiClient.get<Settings>('/api/admin/settings', { signal });
  return response.data;
}

/** GET /api/admin/settings: prices (tiers, GPU), credit, warnings, limits, idle stop, domain. */
export const adminSettingsQuery = () =>
  queryOptions({
    queryKey: adminSettingsKeys.all,
    queryFn: ({ signal }) => fetchSettings(signal),
  });

/** PUT /api/admin/settings: replaces them all; the public prices (GET /api/pricing) change with them. */
export const saveSettingsMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'settings', 'save'],
    mutationFn: async (settings: Settings) => {
      const response = await apiClient.put<Settings>('/api/admin/settings', settings);
      return response.data;
    },
    onSuccess: async (settings, _input, _result, { client }) => {
      client.setQueryData(adminSettingsQuery().queryKey, settings);
      await client.invalidateQueries({ queryKey: catalogKeys.all });
    },
  });
