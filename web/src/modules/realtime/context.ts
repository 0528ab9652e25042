import { createContext, useContext, useEffect, useRef } from 'react';
import type { Notification } from '@/api/queries/notifications';
import type { RealtimeEventMap, RealtimeEventType, RealtimeState } from '@/api/realtime';

export const RealtimeContext = createContext<RealtimeState>('idle');

/** The live updates' connection: `open` while events arrive, `waiting` while reconnecting. */
export function useRealtimeState(): RealtimeState {
  return useContext(RealtimeContext);
}

export type NotificationListener = (notification: Notification) => void;

/** Registers a listener for `notification.created` events; returns its unsubscribe. */
export type SubscribeToNotifications = (listener: NotificationListener) => () => void;

export const NotificationEventsContext = createContext<SubscribeToNotifications>(() => () => {});

/**
 * Calls `listener` with every `notification.created` event of the signed-in user (after the
 * notification lists were invalidated). The latest `listener` is used; it need not be stable.
 */
export function useNotificationEvents(listener: NotificationListener): void {
  const subscribe = useContext(NotificationEventsContext);
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => subscribe((notification) => latest.current(notification)), [subscribe]);
}

export type RealtimeListener = (data: Record<string, unknown>) => void;

/** Registers a listener for one event type; returns its unsubscribe. */
export type SubscribeToEvents = (type: string, listener: RealtimeListener) => () => void;

export const RealtimeEventsContext = createContext<SubscribeToEvents>(() => () => {});

/**
 * Calls `handler` with the data of every `type` event while the component is mounted: of any user
 * on an admin's socket (check `user_id` when only the signed-in user's count). It runs after the
 * realtime client has updated the cache it keeps (see createRealtimeClient). The latest `handler`
 * is used; it need not be stable.
 *
 *     useRealtimeEvent('user.signed_up', () => void client.invalidateQueries({ queryKey: adminUserKeys.all }));
 */
export function useRealtimeEvent<T extends RealtimeEventType>(type: T, handler: (data: RealtimeEventMap[T]) => void): void {
  const subscribe = useContext(RealtimeEventsContext);
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  // The server's data, typed by the contract (not validated here: the handlers read what they need).
  useEffect(() => subscribe(type, (data) => latest.current(data as unknown as RealtimeEventMap[T])), [subscribe, type]);
}
