import type { QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import { alertKeys, putAlert, type Alert } from '@/api/queries/adminAlerts';
import { authKeys, meQuery } from '@/api/queries/auth';
import { billingKeys } from '@/api/queries/billing';
import { notificationKeys, type Notification } from '@/api/queries/notifications';
import { podKeys, putPod, refreshPodCosts, removePod, type Pod } from '@/api/queries/pods';
import type { components } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type EventEnvelope = Schemas['EventEnvelope'];
export type SessionHelloEvent = Schemas['SessionHelloEvent'];
export type PodDeletedEvent = Schemas['PodDeletedEvent'];
export type BalanceChangedEvent = Schemas['BalanceChangedEvent'];
export type UserSignedUpEvent = Schemas['UserSignedUpEvent'];
export type PodProgressEvent = Schemas['PodProgressEvent'];
export type AlertEvent = Schemas['Alert'];

/**
 * The `data` of each event type the server sends (api/events/README.md). A user's socket gets that
 * user's events; an admin's gets every user's and the admin-only ones (user.signed_up, alert.*).
 */
export interface RealtimeEventMap {
  'session.hello': SessionHelloEvent;
  'pod.status': Pod;
  'pod.progress': PodProgressEvent;
  'pod.deleted': PodDeletedEvent;
  'balance.changed': BalanceChangedEvent;
  'user.signed_up': UserSignedUpEvent;
  'alert.raised': AlertEvent;
  'alert.cleared': AlertEvent;
  'notification.created': Notification;
}
export type RealtimeEventType = keyof RealtimeEventMap;

/** What the client needs of a WebSocket: the browser's satisfies it, and so does a test's fake. */
export type RealtimeSocket = Pick<WebSocket, 'onopen' | 'onmessage' | 'onclose' | 'onerror' | 'close'>;
export type SocketFactory = (url: string) => RealtimeSocket;

/** The browser's WebSocket. The session cookie goes with the upgrade request. */
export const browserSocket: SocketFactory = (url) => new WebSocket(url);

/**
 * idle: not started (or stopped); connecting: a socket is opening; open: events arrive;
 * waiting: the socket closed and the next attempt is scheduled.
 */
export type RealtimeState = 'idle' | 'connecting' | 'open' | 'waiting';

/** GET /api/ws on the API's origin (the one the axios client uses), with ws:// or wss:// to match. */
export function realtimeUrl(base: string = window.location.href): string {
  const url = new URL(apiClient.getUri({ url: '/api/ws' }), base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export interface Backoff {
  /** The first wait, before jitter. */
  baseMs: number;
  /** No wait is longer. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 30_000 };

/**
 * The wait before reconnection attempt `attempt` (0 for the first): exponential, capped, with
 * "equal jitter" (between half and all of it) so that a server restart is not met by every
 * browser at the same instant, while never retrying in a tight loop.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, backoff: Backoff = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Close code of GET /api/ws: the session ended (signed out, revoked, blocked). */
export const CLOSE_SESSION_ENDED = 1008;

export interface RealtimeOptions {
  queryClient: QueryClient;
  /** Default: the browser's WebSocket. Tests pass a fake. */
  createSocket?: SocketFactory;
  /** Default: realtimeUrl(). */
  url?: string;
  backoff?: Backoff;
  /** Jitter source, in [0, 1). */
  random?: () => number;
  onStateChange?: (state: RealtimeState) => void;
  /** A `notification.created` for the signed-in user (after the notification queries are invalidated). */
  onNotification?: (notification: Notification) => void;
  /**
   * Every event, of any type and any user (an admin's socket gets everyone's), after the cache was
   * updated. `data` is the envelope's data as the server sent it (typed by RealtimeEventMap).
   */
  onEvent?: (type: string, data: Record<string, unknown>) => void;
}

export interface RealtimeClient {
  start(): void;
  stop(): void;
  readonly state: RealtimeState;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message as an envelope, or undefined when it is not one (ignored, like unknown types). */
export function parseEnvelope(raw: unknown): { type: string; ts: string; data: Record<string, unknown> } | undefined {
  if (typeof raw !== 'string') {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.type !== 'string' || typeof value.ts !== 'string' || !isRecord(value.data)) {
    return undefined;
  }
  return { type: value.type, ts: value.ts, data: value.data };
}

/** Everything the client keeps current: refetched after a gap in the events (events are not replayed). */
export function invalidateLiveData(client: QueryClient): Promise<unknown> {
  return Promise.all([
    client.invalidateQueries({ queryKey: podKeys.all }),
    client.invalidateQueries({ queryKey: notificationKeys.all }),
    client.invalidateQueries({ queryKey: billingKeys.all }),
    client.invalidateQueries({ queryKey: authKeys.me }),
    client.invalidateQueries({ queryKey: alertKeys.all }),
  ]);
}

/**
 * One WebSocket to GET /api/ws that applies the server's events to the TanStack Query cache, and
 * reconnects with exponential backoff and jitter whenever it closes, until stop().
 *
 * - pod.status: the pod's record replaces the cached one (list and detail).
 * - pod.deleted: the pod leaves the list; its detail is forgotten.
 * - balance.changed: the balance in `me` is updated and me and the billing summary are refetched;
 *   so are the user's pods shown (list and detail), whose cost so far is what was charged: the
 *   billing pass and the settling of a stopped run change it without a pod.status of their own.
 * - notification.created: the notification lists are refetched and `onNotification` is called.
 * - alert.raised / alert.cleared (admins): the alert joins or leaves the cached list of alerts.
 * - Every event then goes to `onEvent` (useRealtimeEvent), e.g. for the admin pages.
 * - After a reconnection everything above is refetched, since events are not replayed.
 *
 * An admin's socket gets every user's events: those of other users only update what is cached.
 */
export function createRealtimeClient(options: RealtimeOptions): RealtimeClient {
  const { queryClient: client, createSocket = browserSocket, backoff = DEFAULT_BACKOFF, random = Math.random } = options;

  let state: RealtimeState = 'idle';
  let socket: RealtimeSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts since the last socket that got a message: the backoff exponent. */
  let attempt = 0;
  /** A socket closed (or never opened) since start(): events may have been missed. */
  let gap = false;
  /** From `session.hello`: whose socket this is. */
  let helloUserId: string | undefined;

  const setState = (next: RealtimeState) => {
    if (next !== state) {
      state = next;
      options.onStateChange?.(next);
    }
  };

  /** The signed-in user's id: from the hello, else from `me`. */
  const ownUserId = () => helloUserId ?? client.getQueryData(meQuery().queryKey)?.user.id;
  /** True for events about the signed-in user (or when it is not known yet). */
  const isOwn = (userId: unknown) => {
    const own = ownUserId();
    return own === undefined || userId === own;
  };

  function handle(type: string, data: Record<string, unknown>): void {
    switch (type) {
      case 'session.hello': {
        const hello = data as Partial<SessionHelloEvent>;
        helloUserId = typeof hello.user_id === 'string' ? hello.user_id : undefined;
        return;
      }
      case 'pod.status': {
        const pod = data as Partial<Pod>;
        if (typeof pod.id === 'string') {
          putPod(client, data as unknown as Pod, { insert: pod.user_id === ownUserId() });
        }
        return;
      }
      case 'pod.deleted': {
        const deleted = data as Partial<PodDeletedEvent>;
        if (typeof deleted.id === 'string') {
          removePod(client, deleted.id);
        }
        return;
      }
      case 'balance.changed': {
        const change = data as Partial<BalanceChangedEvent>;
        if (!isOwn(change.user_id)) {
          return;
        }
        const balance = change.balance_micros;
        if (typeof balance === 'number') {
          client.setQueryData(meQuery().queryKey, (me) =>
            me && me.user.balance_micros !== null ? { ...me, user: { ...me.user, balance_micros: balance } } : me,
          );
        }
        void client.invalidateQueries({ queryKey: authKeys.me });
        void client.invalidateQueries({ queryKey: billingKeys.summary });
        void refreshPodCosts(client);
        return;
      }
      case 'notification.created': {
        const notification = data as Partial<Notification>;
        if (!isOwn(notification.user_id)) {
          return;
        }
        void client.invalidateQueries({ queryKey: notificationKeys.all });
        options.onNotification?.(data as unknown as Notification);
        return;
      }
      case 'alert.raised':
      case 'alert.cleared': {
        const alert = data as Partial<Alert>;
        if (typeof alert.id === 'string') {
          putAlert(client, data as unknown as Alert, type === 'alert.raised');
        }
        return;
      }
      default:
        // pod.progress, user.signed_up and types added later: what shows them listens with
        // useRealtimeEvent.
        return;
    }
  }

  function dispatch(type: string, data: Record<string, unknown>): void {
    handle(type, data);
    options.onEvent?.(type, data);
  }

  function scheduleReconnect(): void {
    setState('waiting');
    const delay = backoffDelay(attempt, random, backoff);
    attempt += 1;
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, delay);
  }

  function connect(): void {
    setState('connecting');
    let current: RealtimeSocket;
    try {
      current = createSocket(options.url ?? realtimeUrl());
    } catch {
      // e.g. a URL the browser refuses: treated like a connection that closed at once.
      gap = true;
      scheduleReconnect();
      return;
    }
    socket = current;
    current.onopen = () => {
      if (socket !== current) {
        return;
      }
      setState('open');
      if (gap) {
        gap = false;
        void invalidateLiveData(client);
      }
    };
    current.onmessage = (event: MessageEvent) => {
      if (socket !== current) {
        return;
      }
      attempt = 0; // the server accepted us: the next failure starts the backoff over
      const envelope = parseEnvelope(event.data);
      if (envelope !== undefined) {
        dispatch(envelope.type, envelope.data);
      }
    };
    current.onerror = () => {
      // Always followed by a close, which does the work.
    };
    current.onclose = (event: CloseEvent) => {
      if (socket !== current) {
        return;
      }
      socket = null;
      gap = true;
      if (event.code === CLOSE_SESSION_ENDED) {
        // Signed out elsewhere, revoked or blocked: `me` learns it, and the provider stops us.
        void client.invalidateQueries({ queryKey: authKeys.me });
      }
      scheduleReconnect();
    };
  }

  return {
    get state() {
      return state;
    },
    start() {
      if (state !== 'idle') {
        return;
      }
      connect();
    },
    stop() {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      const current = socket;
      socket = null;
      if (current !== null) {
        current.onopen = null;
        current.onmessage = null;
        current.onerror = null;
        current.onclose = null;
        current.close(1000);
      }
      attempt = 0;
      gap = false;
      helloUserId = undefined;
      setState('idle');
    },
  };
}
