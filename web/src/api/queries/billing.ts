import { queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components } from '@/api/schema.gen';

export type BillingSummary = components['schemas']['BillingSummary'];

export const billingKeys = {
  all: ['billing'] as const,
  summary: ['billing', 'summary'] as const,
};

export async function fetchBillingSummary(signal?: AbortSignal): Promise<BillingSummary> {
  const response = await apiClient.get<BillingSummary>('/api/billing/summary', { signal });
  return response.data;
}

/**
 * GET /api/billing/summary: balance, the hourly price of the running pods, how long the balance lasts,
 * and what was spent. The realtime client invalidates it on `balance.changed`; the balance itself is
 * also in `meQuery()` (the header's).
 */
export const billingSummaryQuery = () =>
  queryOptions({
    queryKey: billingKeys.summary,
    queryFn: ({ signal }) => fetchBillingSummary(signal),
  });
