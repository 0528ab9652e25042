import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components, operations } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type BillingSummary = Schemas['BillingSummary'];
export type BillingUsage = Schemas['BillingUsage'];
export type UsageDay = Schemas['UsageDay'];
export type PodUsage = BillingUsage['pods'][number];
export type LedgerEntry = Schemas['LedgerEntry'];
export type LedgerKind = LedgerEntry['kind'];
export type LedgerPage = Schemas['LedgerPage'];
type TransactionParams = NonNullable<operations['listBillingTransactions']['parameters']['query']>;

export const billingKeys = {
  all: ['billing'] as const,
  summary: ['billing', 'summary'] as const,
  usage: (days: number) => ['billing', 'usage', days] as const,
  transactions: (limit: number) => ['billing', 'transactions', limit] as const,
};

export async function fetchBillingSummary(signal?: AbortSignal): Promise<BillingSummary> {
  const response = await apiClient.get<BillingSummary>('/api/billing/summary', { signal });
  return response.data;
}

export async function fetchBillingUsage(days: number, signal?: AbortSignal): Promise<BillingUsage> {
  const response = await apiClient.get<BillingUsage>('/api/billing/usage', { params: { days }, signal });
  return response.data;
}

export async function fetchTransactions(limit: number, beforeSeq?: number, signal?: AbortSignal): Promise<LedgerPage> {
  const params: TransactionParams = { limit, ...(beforeSeq !== undefined && { before_seq: beforeSeq }) };
  const response = await apiClient.get<LedgerPage>('/api/billing/transactions', { params, signal });
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

/** GET /api/billing/usage?days=N: spent and used per UTC day (every day, oldest first) and per pod. */
export const billingUsageQuery = (days = 30) =>
  queryOptions({
    queryKey: billingKeys.usage(days),
    queryFn: ({ signal }) => fetchBillingUsage(days, signal),
    // Charges land every minute while a pod runs; the chart need not be fresher than that.
    refetchInterval: 60_000,
  });

/** GET /api/billing/transactions: the ledger, newest first, a page of `limit` at a time ("Load more"). */
export const transactionsQuery = (limit = 50) =>
  infiniteQueryOptions({
    queryKey: billingKeys.transactions(limit),
    queryFn: ({ pageParam, signal }) => fetchTransactions(limit, pageParam, signal),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next_before_seq ?? undefined,
  });
