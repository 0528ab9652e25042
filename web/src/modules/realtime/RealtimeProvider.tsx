import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { meQuery } from '@/api/queries/auth';
import type { Notification } from '@/api/queries/notifications';
import { browserSocket, createRealtimeClient, type RealtimeState, type SocketFactory } from '@/api/realtime';
import {
  NotificationEventsContext,
  RealtimeContext,
  RealtimeEventsContext,
  type NotificationListener,
  type RealtimeListener,
  type SubscribeToEvents,
  type SubscribeToNotifications,
} from '@/modules/realtime/context';

interface Props {
  /** Default: the browser's WebSocket. Tests pass a fake (see src/test/fakeSocket.ts). */
  createSocket?: SocketFactory;
  children: ReactNode;
}

/**
 * Keeps the live updates (GET /api/ws) open while someone is signed in: started when `me` holds a
 * user who is not blocked, stopped on sign-out, restarted for a different user. Components listen
 * to the signed-in user's `notification.created` with useNotificationEvents(), and to any event
 * (every user's, on an admin's socket) with useRealtimeEvent().
 */
export function RealtimeProvider({ createSocket = browserSocket, children }: Props) {
  const queryClient = useQueryClient();
  // Only watches `me`: the guards and the header are the ones that ask the server.
  const me = useQuery({ ...meQuery(), enabled: false });
  const userId = me.data && !me.data.user.blocked ? me.data.user.id : undefined;
  const [state, setState] = useState<RealtimeState>('idle');
  const listeners = useRef(new Set<NotificationListener>());

  const subscribe = useCallback<SubscribeToNotifications>((listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const eventListeners = useRef(new Map<string, Set<RealtimeListener>>());
  const subscribeToEvents = useCallback<SubscribeToEvents>((type, listener) => {
    const forType = eventListeners.current.get(type) ?? new Set<RealtimeListener>();
    eventListeners.current.set(type, forType);
    forType.add(listener);
    return () => {
      forType.delete(listener);
    };
  }, []);

  useEffect(() => {
    if (userId === undefined) {
      return;
    }
    const onNotification = (notification: Notification) => {
      for (const listener of [...listeners.current]) {
        listener(notification);
      }
    };
    const onEvent = (type: string, data: Record<string, unknown>) => {
      for (const listener of [...(eventListeners.current.get(type) ?? [])]) {
        listener(data);
      }
    };
    const client = createRealtimeClient({ queryClient, createSocket, onStateChange: setState, onNotification, onEvent });
    client.start();
    return () => client.stop();
  }, [userId, queryClient, createSocket]);

  return (
    <RealtimeContext value={state}>
      <NotificationEventsContext value={subscribe}>
        <RealtimeEventsContext value={subscribeToEvents}>{children}</RealtimeEventsContext>
      </NotificationEventsContext>
    </RealtimeContext>
  );
}
