import { describe, expect, it } from 'vitest';
import {
  markAllNotificationsReadMutation,
  markNotificationReadMutation,
  notificationsQuery,
  type Notification,
} from '@/api/queries/notifications';
import { ana } from '@/test/fixtures';
import { fakeServer, serve, testQueryClient } from '@/test/render';

function note(id: string, read: boolean): Notification {
  return {
    id,
    user_id: ana.id,
    kind: 'pod_culled',
    message: 'Stopped for lack of activity.',
    data: {} as Notification['data'],
    created_at: '2026-03-01T10:00:00Z',
    read,
  };
}

describe('notification queries', () => {
  it('passes the filter as the query parameters of GET /api/notifications', async () => {
    const server = fakeServer({ 'GET /api/notifications': { status: 200, data: { items: [], unread: 0, next_before: null } } });
    serve(server.adapter);
    await testQueryClient().fetchQuery(notificationsQuery({ unread: true, limit: 20 }));
    expect(server.calls[0]?.params).toEqual({ unread: 'true', limit: 20 });
  });

  it('marking one or all read updates every cached page and its unread count at once', async () => {
    let refetches = 0;
    serve(
      fakeServer({
        [`POST /api/notifications/n1/read`]: { status: 204 },
        'POST /api/notifications/read-all': { status: 200, data: { marked: 1 } },
        // The refetch after each mutation is held back, to see the cache as the mutation left it.
        'GET /api/notifications': () => new Promise(() => (refetches += 1)),
      }).adapter,
    );
    const client = testQueryClient();
    const key = notificationsQuery().queryKey;
    client.setQueryData(key, { items: [note('n1', false), note('n2', false), note('n3', true)], unread: 5, next_before: 'x' });

    await client.getMutationCache().build(client, markNotificationReadMutation()).execute('n1');
    expect(client.getQueryData(key)?.items.map((n) => n.read)).toEqual([true, false, true]);
    expect(client.getQueryData(key)?.unread).toBe(4);

    await client.getMutationCache().build(client, markAllNotificationsReadMutation()).execute(undefined);
    expect(client.getQueryData(key)?.items.every((n) => n.read)).toBe(true);
    expect(client.getQueryData(key)?.unread).toBe(0);
    expect(refetches).toBe(0); // nobody observes the query: invalidated, not refetched
  });
});
