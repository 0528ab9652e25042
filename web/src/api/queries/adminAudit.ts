import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components, operations } from '@/api/schema.gen';

export type AuditEntry = components['schemas']['AuditEntry'];
type AuditParams = NonNullable<operations['listAuditLog']['parameters']['query']>;
export type AuditPage = operations['listAuditLog']['responses'][200]['content']['application/json'];

export interface AuditFilter {
  /** Exact action, e.g. `user.blocked`. */
  action?: string;
  /** Entries about this user (24 hex characters). */
  userId?: string;
  /** Entries per page (the API's default is 50, its most AUDIT_MAX_LIMIT). */
  limit?: number;
}

export const AUDIT_MAX_LIMIT = 500;

export const auditKeys = {
  all: ['admin', 'audit'] as const,
  newest: (filter: AuditFilter) => ['admin', 'audit', 'newest', filter] as const,
  pages: (filter: AuditFilter) => ['admin', 'audit', 'pages', filter] as const,
};

function toParams({ action, userId, limit }: AuditFilter, before: string | null): AuditParams {
  return {
    ...(action !== undefined && action !== '' && { action }),
    ...(userId !== undefined && userId !== '' && { user_id: userId }),
    ...(before !== null && { before }),
    ...(limit !== undefined && { limit: Math.min(limit, AUDIT_MAX_LIMIT) }),
  };
}

/** One page of GET /api/admin/audit: the entries older than `before` (an entry's id), newest first. */
export async function fetchAuditPage(filter: AuditFilter, before: string | null, signal?: AbortSignal): Promise<AuditPage> {
  const response = await apiClient.get<AuditPage>('/api/admin/audit', { params: toParams(filter, before), signal });
  return response.data;
}

/** GET /api/admin/audit: the newest entries (`limit` of them), e.g. for the dashboard. */
export const auditQuery = (filter: AuditFilter = {}) =>
  queryOptions({
    queryKey: auditKeys.newest(filter),
    queryFn: async ({ signal }) => (await fetchAuditPage(filter, null, signal)).items,
  });

/**
 * GET /api/admin/audit page after page, newest first: each page asks for the entries before the
 * previous page's `next_before` (null once a page was not full: nothing older).
 */
export const auditPagesQuery = (filter: AuditFilter = {}) =>
  infiniteQueryOptions({
    queryKey: auditKeys.pages(filter),
    queryFn: ({ pageParam, signal }) => fetchAuditPage(filter, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_before ?? null,
  });
