import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alertsQuery, type AlertList } from '@/api/queries/adminAlerts';
import { meQuery } from '@/api/queries/auth';
import { billingSummaryQuery, type BillingSummary } from '@/api/queries/billing';
import { notificationsQuery, type Notification, type NotificationPage } from '@/api/queries/notifications';
import { podQuery, podsQuery } from '@/api/queries/pods';
import {
  backoffDelay,
  createRealtimeClient,
  realtimeUrl,
  type RealtimeOptions,
  type RealtimeState,
} from '@/api/realtime';
import { admin, alert, ana, pod, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { testQueryClient } from '@/test/render';

const notebook = pod({ id: '65d000000000000000000001' });
const other = pod({ id: '65d000000000000000000002', name: 'training', status: 'stopped' });

const summary: BillingSummary = {
  admin: false,
  balance_micros: 10_000_000,
  burn_rate_micros_per_hour: 500_000,
  running_pods: 1,
  runway_seconds: 72_000,
  spent_today_micros: 0,
  spent_7d_micros: 0,
  spent_30d_micros: 0,
  usage_today_micros: 0,
  usage_7d_micros: 0,
  usage_30d_micros: 0,
};

const lowBalance: Notification = {
  id: '65e000000000000000000001',
  user_id: ana.id,
  kind: 'low_balance',
  message: 'Your balance lasts about 30 minutes.',
  data: {} as Notification['data'],
  created_at: '2026-03-01T10:00:00Z',
  read: false,
};

const page: NotificationPage = { items: [], unread: 0, next_before: null };

/** A cache as a signed-in ana's page would hold it. */
function cache(): QueryClient {
  const client = testQueryClient();
  client.setQueryData(meQuery().queryKey, verified(ana));
  client.setQueryData(podsQuery().queryKey, [notebook, other]);
  client.setQueryData(podQuery(notebook.id).queryKey, notebook);
  client.setQueryData(billingSummaryQuery().queryKey, summary);
  client.setQueryData(notificationsQuery().queryKey, page);
  return client;
}

const invalidated = (client: QueryClient, key: QueryKey) => client.getQueryState(key)?.isInvalidated === true;

function connect(client: QueryClient, overrides: Partial<RealtimeOptions> = {}) {
  const sockets = fakeSockets();
  const states: RealtimeState[] = [];
  const realtime = createRealtimeClient({
    queryClient: client,
    createSocket: sockets.factory,
    url: 'ws://app.test/api/ws',
    random: () => 0, // no jitter: the waits are 500 ms, 1 s, 2 s...
    onStateChange: (state) => states.push(state),
    ...overrides,
  });
  realtime.start();
  return { realtime, sockets, states };
}

/** A socket that opened and got the server's hello for `userId`. */
function hello(sockets: ReturnType<typeof fakeSockets>, userId = ana.id) {
  const socket = sockets.latest();
  socket.open();
  socket.emit('session.hello', { user_id: userId, admin: false });
  return socket;
}

describe('realtimeUrl', () => {
  it("is /api/ws on the app's origin (the axios client's base is empty), ws or wss to match", () => {
    expect(realtimeUrl('http://localhost:5173/client/pods')).toBe('ws://localhost:5173/api/ws');
    expect(realtimeUrl('https://neuropod.online/account')).toBe('wss://neuropod.online/api/ws');
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s up to 30 s, with between half and all of it as jitter', () => {
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, () => 0))).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
    expect(backoffDelay(0, () => 0.999_999)).toBe(1_000);
    expect(backoffDelay(4, () => 0.999_999)).toBe(16_000);
    expect(backoffDelay(5, () => 0.999_999)).toBe(30_000); // 32 s capped
    expect(backoffDelay(50, () => 0)).toBe(15_000);
    expect(backoffDelay(50, () => 0.999_999)).toBe(30_000);
  });
});

describe('createRealtimeClient: events', () => {
  it('opens one socket to the URL it is given', () => {
    const { sockets, realtime, states } = connect(cache());
    realtime.start(); // already started: no second socket
    expect(sockets.sockets.map((s) => s.url)).toEqual(['ws://app.test/api/ws']);
    sockets.latest().open();
    expect(states).toEqual(['connecting', 'open']);
    expect(realtime.state).toBe('open');
  });

  it('pod.status replaces the pod in the list and the detail caches', () => {
    const client = cache();
    const { sockets } = connect(client);
    const socket = hello(sockets);

    const failed = { ...notebook, status: 'failed' as const, reason: 'OOMKilled', message: 'Out of memory' };
    socket.emit('pod.status', failed);

    expect(client.getQueryData(podsQuery().queryKey)).toEqual([failed, other]);
    expect(client.getQueryData(podQuery(notebook.id).queryKey)).toEqual(failed);
    // A detail nobody asked for is not created.
    socket.emit('pod.status', { ...other, status: 'creating' });
    expect(client.getQueryData(podsQuery().queryKey)?.[1]?.status).toBe('creating');
    expect(client.getQueryData(podQuery(other.id).queryKey)).toBeUndefined();
  });

  it("adds a new pod of the user's to the top of the list, but not another user's (admins get every event)", () => {
    const client = cache();
    client.setQueryData(meQuery().queryKey, verified(admin));
    const { sockets } = connect(client);
    const socket = hello(sockets, admin.id);

    const mine = pod({ id: '65d0000000000000000000a1', user_id: admin.id, name: 'mine', status: 'pending' });
    const theirs = pod({ id: '65d0000000000000000000b1', user_id: ana.id, name: 'theirs', status: 'pending' });
    socket.emit('pod.status', theirs);
    socket.emit('pod.status', mine);

    expect(client.getQueryData(podsQuery().queryKey)?.map((p) => p.name)).toEqual(['mine', 'notebook', 'training']);
  });

  it('pod.deleted removes the pod from the list and forgets its detail', () => {
    const client = cache();
    const { sockets } = connect(client);
    hello(sockets).emit('pod.deleted', { id: notebook.id });

    expect(client.getQueryData(podsQuery().queryKey)).toEqual([other]);
    expect(client.getQueryState(podQuery(notebook.id).queryKey)).toBeUndefined();
  });

  it("balance.changed updates the balance in me and refetches me, the billing summary and the pods' costs; another user's is ignored", () => {
    const client = cache();
    const { sockets } = connect(client);
    const socket = hello(sockets);

    socket.emit('balance.changed', { user_id: '65a0000000000000000000ff', balance_micros: 1 });
    expect(invalidated(client, billingSummaryQuery().queryKey)).toBe(false);
    expect(invalidated(client, podsQuery().queryKey)).toBe(false);
    expect(client.getQueryData(meQuery().queryKey)?.user.balance_micros).toBe(10_000_000);

    socket.emit('balance.changed', { user_id: ana.id, balance_micros: 9_500_000 });
    expect(client.getQueryData(meQuery().queryKey)?.user.balance_micros).toBe(9_500_000);
    expect(invalidated(client, meQuery().queryKey)).toBe(true);
    expect(invalidated(client, billingSummaryQuery().queryKey)).toBe(true);
    // The charge is the pods' cost so far, which no pod.status announces.
    expect(invalidated(client, podsQuery().queryKey)).toBe(true);
    expect(invalidated(client, podQuery(notebook.id).queryKey)).toBe(true);
  });

  it('never lowers the cost so far with a pod.status sent before the run was settled', () => {
    const client = cache();
    client.setQueryData(podsQuery().queryKey, [{ ...notebook, cost_micros: 50_000 }, other]);
    client.setQueryData(podQuery(notebook.id).queryKey, { ...notebook, cost_micros: 50_000 });
    const { sockets } = connect(client);
    hello(sockets).emit('pod.status', { ...notebook, status: 'stopped', cost_micros: 0 });

    expect(client.getQueryData(podsQuery().queryKey)?.[0]).toMatchObject({ status: 'stopped', cost_micros: 50_000 });
    expect(client.getQueryData(podQuery(notebook.id).queryKey)).toMatchObject({ status: 'stopped', cost_micros: 50_000 });
  });

  it("hands every event, of any user, to onEvent once the cache is up to date", () => {
    const client = cache();
    const seen: [string, unknown][] = [];
    const onEvent = vi.fn((type: string, data: Record<string, unknown>) => {
      seen.push([type, type === 'pod.status' ? client.getQueryData(podsQuery().queryKey)?.[0]?.status : data]);
    });
    const { sockets } = connect(client, { onEvent });
    const socket = hello(sockets);
    socket.emit('user.signed_up', { user_id: '65a0000000000000000000ff', email: 'new@example.com', name: '' });
    socket.emit('pod.status', { ...notebook, status: 'failed' });
    socket.emit('balance.changed', { user_id: '65a0000000000000000000ff', balance_micros: 1 });

    expect(seen).toEqual([
      ['session.hello', { user_id: ana.id, admin: false }],
      ['user.signed_up', { user_id: '65a0000000000000000000ff', email: 'new@example.com', name: '' }],
      ['pod.status', 'failed'],
      ['balance.changed', { user_id: '65a0000000000000000000ff', balance_micros: 1 }],
    ]);
  });

  it('notification.created refetches the notifications and hands the notification over', () => {
    const client = cache();
    const onNotification = vi.fn();
    const { sockets } = connect(client, { onNotification });
    hello(sockets).emit('notification.created', lowBalance);

    expect(invalidated(client, notificationsQuery().queryKey)).toBe(true);
    expect(onNotification).toHaveBeenCalledWith(lowBalance);
  });

  it('alert.raised adds the alert to the cached list (or replaces it); alert.cleared removes it', () => {
    const client = cache();
    const databaseDown = alert({ details: { error: 'timeout' } });
    const failing = alert({
      id: `pod_failing:${notebook.id}`,
      kind: 'pod_failing',
      severity: 'warning',
      message: 'Pod notebook failed 3 times in the last 10 minutes',
      details: { pod_id: notebook.id, pod_name: 'notebook', failures: 3 },
      since: '2026-03-01T09:00:00Z',
    });
    const list: AlertList = { items: [failing], leading: true };
    client.setQueryData(alertsQuery().queryKey, list);
    const { sockets } = connect(client);
    const socket = hello(sockets, admin.id);

    socket.emit('alert.raised', databaseDown);
    expect(client.getQueryData(alertsQuery().queryKey)?.items).toEqual([failing, databaseDown]);
    socket.emit('alert.raised', { ...failing, details: { pod_id: notebook.id, pod_name: 'notebook', failures: 4 } });
    expect(client.getQueryData(alertsQuery().queryKey)?.items.map((a) => a.details)).toEqual([
      { pod_id: notebook.id, pod_name: 'notebook', failures: 4 },
      databaseDown.details,
    ]);
    socket.emit('alert.cleared', { ...databaseDown, cleared_at: '2026-03-01T10:05:00Z' });
    expect(client.getQueryData(alertsQuery().queryKey)?.items.map((a) => a.id)).toEqual([failing.id]);
    socket.emit('alert.cleared', { kind: 'database_down' }); // no id: ignored
    expect(client.getQueryData(alertsQuery().queryKey)?.items).toHaveLength(1);
    expect(invalidated(client, alertsQuery().queryKey)).toBe(false);
  });

  it('leaves the alerts alone while they are not cached (a client, or an admin elsewhere)', () => {
    const client = cache();
    const { sockets } = connect(client);
    hello(sockets).emit('alert.raised', { id: 'database_down', kind: 'database_down' });
    expect(client.getQueryData(alertsQuery().queryKey)).toBeUndefined();
  });

  it('ignores what is not an envelope, and event types it does not know', () => {
    const client = cache();
    const { sockets } = connect(client);
    const socket = hello(sockets);
    const before = client.getQueryCache().getAll().map((q) => [q.queryHash, q.state.dataUpdatedAt, q.state.isInvalidated]);

    socket.raw('not json');
    socket.raw(JSON.stringify({ type: 'pod.status' }));
    socket.raw(JSON.stringify([1, 2]));
    socket.emit('pod.progress', { id: notebook.id, type: 'Normal', reason: 'Pulling', text: 'Pulling image', time: '' });
    socket.emit('something.new', { id: notebook.id });
    socket.emit('pod.status', { status: 'running' }); // no id

    const after = client.getQueryCache().getAll().map((q) => [q.queryHash, q.state.dataUpdatedAt, q.state.isInvalidated]);
    expect(after).toEqual(before);
  });
});

describe('createRealtimeClient: connection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reconnects after a close with exponential backoff, starting over once a socket is accepted', () => {
    const { sockets, states } = connect(cache());
    hello(sockets).serverClose(1001); // the server restarts
    expect(states.at(-1)).toBe('waiting');

    vi.advanceTimersByTime(499);
    expect(sockets.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets.sockets).toHaveLength(2);
    expect(states.at(-1)).toBe('connecting');

    sockets.latest().serverClose(); // refused while the server is down
    vi.advanceTimersByTime(999);
    expect(sockets.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets.sockets).toHaveLength(3);

    sockets.latest().serverClose();
    vi.advanceTimersByTime(1_999);
    expect(sockets.sockets).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(sockets.sockets).toHaveLength(4);

    hello(sockets).serverClose(1013); // accepted, then too slow: the backoff starts over
    vi.advanceTimersByTime(500);
    expect(sockets.sockets).toHaveLength(5);
  });

  it('never waits more than 30 s', () => {
    const { sockets } = connect(cache(), { random: () => 0.999_999 });
    for (let i = 0; i < 12; i += 1) {
      sockets.latest().serverClose();
      vi.advanceTimersByTime(30_000);
    }
    expect(sockets.sockets).toHaveLength(13);
  });

  it('refetches everything it keeps current after a reconnection, not on the first connection', () => {
    const client = cache();
    client.setQueryData(alertsQuery().queryKey, { items: [], leading: true });
    const { sockets } = connect(client);
    hello(sockets);
    const keys = [
      podsQuery().queryKey,
      podQuery(notebook.id).queryKey,
      billingSummaryQuery().queryKey,
      notificationsQuery().queryKey,
      meQuery().queryKey,
      alertsQuery().queryKey, // alerts raised or cleared meanwhile were missed too
    ];
    expect(keys.filter((key) => invalidated(client, key))).toEqual([]);

    sockets.latest().serverClose();
    vi.advanceTimersByTime(500);
    expect(keys.filter((key) => invalidated(client, key))).toEqual([]); // not until it is back
    sockets.latest().open();
    expect(keys.filter((key) => invalidated(client, key))).toEqual(keys);
  });

  it('refetches too when the first connection only succeeds on a later attempt', () => {
    const client = cache();
    const { sockets } = connect(client);
    sockets.latest().serverClose();
    vi.advanceTimersByTime(500);
    sockets.latest().open();
    expect(invalidated(client, podsQuery().queryKey)).toBe(true);
  });

  it('asks who is signed in when the server ends the socket because the session ended (1008)', () => {
    const client = cache();
    const { sockets } = connect(client);
    hello(sockets).serverClose(1008);
    expect(invalidated(client, meQuery().queryKey)).toBe(true);
  });

  it('stop() closes the socket normally and cancels a scheduled reconnection', () => {
    const { sockets, realtime } = connect(cache());
    const first = hello(sockets);
    realtime.stop();
    expect(first.closedWith).toBe(1000);
    expect(realtime.state).toBe('idle');
    first.serverClose(); // a late close event changes nothing
    vi.advanceTimersByTime(60_000);
    expect(sockets.sockets).toHaveLength(1);

    realtime.start();
    sockets.latest().serverClose();
    realtime.stop();
    vi.advanceTimersByTime(60_000);
    expect(sockets.sockets).toHaveLength(2);
  });
});
