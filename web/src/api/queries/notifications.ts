import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import type { components, operations } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type Notification = Schemas['Notification'];
export type NotificationKind = Notification['kind'];
export type NotificationPage = Schemas['NotificationPage'];
export type MarkAllReadResponse =
  operations['markAllNotificationsRead']['responses'][200]['content']['application/json'];

/** What GET /api/notifications can be asked for (the API's query parameters, booleans as booleans). */
export interface NotificationFilter {
  /** Only the unread ones. */
  unread?: boolean;
  limit?: number;
  /** `next_before` of the previous page. */
  before?: string;
}

export const notificationKeys = {
  all: ['notifications'] as const,
  lists: ['notifications', 'list'] as const,
  list: (filter: NotificationFilter = {}) => ['notifications', 'list', filter] as const,
};

type ListParams = NonNullable<operations['listNotifications']['parameters']['query']>;

function toParams({ unread, limit, before }: NotificationFilter): ListParams {
  return {
    ...(unread !== undefined && { unread: unread ? 'true' : 'false' }),
    ...(limit !== undefined && { limit }),
    ...(before !== undefined && { before }),
  };
}

export async function fetchNotifications(filter: NotificationFilter = {}, signal?: AbortSignal): Promise<NotificationPage> {
  const response = await apiClient.get<NotificationPage>('/api/notifications', { params: toParams(filter), signal });
  return response.data;
}

/** GET /api/notifications: one page, newest first, with the count of all unread ones. */
export const notificationsQuery = (filter: NotificationFilter = {}) =>
  queryOptions({
    queryKey: notificationKeys.list(filter),
    queryFn: ({ signal }) => fetchNotifications(filter, signal),
  });

/** Marks notifications read in every cached page at once (`ids` undefined: all of them). */
function markReadInCache(client: QueryClient, ids?: ReadonlySet<string>): void {
  client.setQueriesData<NotificationPage>({ queryKey: notificationKeys.lists }, (page) => {
    if (page === undefined) {
      return page;
    }
    const newlyRead = page.items.filter((n) => !n.read && (ids === undefined || ids.has(n.id))).length;
    return {
      ...page,
      items: page.items.map((n) => (ids === undefined || ids.has(n.id) ? { ...n, read: true } : n)),
      unread: ids === undefined ? 0 : Math.max(0, page.unread - newlyRead),
    };
  });
}

/** POST /api/notifications/{id}/read: marks one notification read (also when it already was). */
export const markNotificationReadMutation = () =>
  mutationOptions({
    mutationKey: ['notifications', 'read'],
    mutationFn: async (id: string) => {
      await apiClient.post(`/api/notifications/${encodeURIComponent(id)}/read`);
    },
    onSuccess: async (_data, id, _result, { client }) => {
      markReadInCache(client, new Set([id]));
      await client.invalidateQueries({ queryKey: notificationKeys.all });
    },
  });

/** POST /api/notifications/read-all: marks every notification of the user read. */
export const markAllNotificationsReadMutation = () =>
  mutationOptions({
    mutationKey: ['notifications', 'read-all'],
    mutationFn: async () => {
      const response = await apiClient.post<MarkAllReadResponse>('/api/notifications/read-all');
      return response.data;
    },
    onSuccess: async (_data, _variables, _result, { client }) => {
      markReadInCache(client);
      await client.invalidateQueries({ queryKey: notificationKeys.all });
    },
  });
