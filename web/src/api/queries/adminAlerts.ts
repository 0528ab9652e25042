import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components, operations } from '@/api/schema.gen';

export type Alert = components['schemas']['Alert'];
export type AlertKind = Alert['kind'];
export type AlertSeverity = Alert['severity'];
export type AlertList = operations['listAlerts']['responses'][200]['content']['application/json'];

export const alertKeys = {
  all: ['admin', 'alerts'] as const,
};

/**
 * A safety net only: `alert.raised` / `alert.cleared` keep the list current (see putAlert), and a
 * reconnection refetches it. The alerts loop itself evaluates every 15 s by default.
 */
export const ALERTS_REFRESH_MS = 60_000;

export async function fetchAlerts(signal?: AbortSignal): Promise<AlertList> {
  const response = await apiClient.get<AlertList>('/api/admin/alerts', { signal });
  return response.data;
}

/**
 * GET /api/admin/alerts (admins): the alerts raised now, oldest first. Only the instance that runs
 * the alerts loop knows them: another one answers `leading: false` and no items.
 */
export const alertsQuery = () =>
  queryOptions({
    queryKey: alertKeys.all,
    queryFn: ({ signal }) => fetchAlerts(signal),
    refetchInterval: ALERTS_REFRESH_MS,
  });

/**
 * Applies an `alert.raised` (the alert joins the cached list, or replaces its earlier self) or an
 * `alert.cleared` (it leaves it) event. Nothing happens while the list is not cached.
 */
export function putAlert(client: QueryClient, alert: Alert, raised: boolean): void {
  client.setQueryData<AlertList>(alertKeys.all, (list) => {
    if (list === undefined) {
      return list;
    }
    const known = list.items.some((a) => a.id === alert.id);
    if (!raised) {
      return known ? { ...list, items: list.items.filter((a) => a.id !== alert.id) } : list;
    }
    const { cleared_at: _cleared, ...active } = alert;
    return { ...list, items: known ? list.items.map((a) => (a.id === alert.id ? active : a)) : [...list.items, active] };
  });
}
