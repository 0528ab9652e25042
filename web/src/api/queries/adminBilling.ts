import { queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components } from '@/api/schema.gen';

export type AdminBillingSummary = components['schemas']['AdminBillingSummary'];
export type AdminBillingUsage = components['schemas']['AdminBillingUsage'];

// Under ['billing']: the realtime client refetches them after a gap, like the user's own billing.
export const adminBillingKeys = {
  all: ['billing', 'admin'] as const,
  summary: ['billing', 'admin', 'summary'] as const,
  usage: (days: number) => ['billing', 'admin', 'usage', days] as const,
};

export async function fetchAdminBillingSummary(signal?: AbortSignal): Promise<AdminBillingSummary> {
  const response = await apiClient.get<AdminBillingSummary>('/api/admin/billing/summary', { signal });
  return response.data;
}

export async function fetchAdminBillingUsage(days: number, signal?: AbortSignal): Promise<AdminBillingUsage> {
  const response = await apiClient.get<AdminBillingUsage>('/api/admin/billing/usage', { params: { days }, signal });
  return response.data;
}

/** GET /api/admin/billing/summary: pods billed now, income per hour, clients' balances, spent and used. */
export const adminBillingSummaryQuery = () =>
  queryOptions({
    queryKey: adminBillingKeys.summary,
    queryFn: ({ signal }) => fetchAdminBillingSummary(signal),
    refetchInterval: 60_000,
  });

/** GET /api/admin/billing/usage?days=N: every user's spend and use per UTC day (oldest first) and per user. */
export const adminBillingUsageQuery = (days = 14) =>
  queryOptions({
    queryKey: adminBillingKeys.usage(days),
    queryFn: ({ signal }) => fetchAdminBillingUsage(days, signal),
    refetchInterval: 60_000,
  });
