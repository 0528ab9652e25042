import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { meQuery } from '@/api/queries/auth';
import { browserSocket, createRealtimeClient, type RealtimeState, type SocketFactory } from '@/api/realtime';
import { RealtimeContext } from '@/modules/realtime/context';

interface Props {
  /** Default: the browser's WebSocket. Tests pass a fake (see src/test/fakeSocket.ts). */
  createSocket?: SocketFactory;
  children: ReactNode;
}

/**
 * Keeps the live updates (GET /api/ws) open while someone is signed in: started when `me` holds a
 * user who is not blocked, stopped on sign-out, restarted for a different user.
 */
export function RealtimeProvider({ createSocket = browserSocket, children }: Props) {
  const queryClient = useQueryClient();
  // Only watches `me`: the guards and the header are the ones that ask the server.
  const me = useQuery({ ...meQuery(), enabled: false });
  const userId = me.data && !me.data.user.blocked ? me.data.user.id : undefined;
  const [state, setState] = useState<RealtimeState>('idle');

  useEffect(() => {
    if (userId === undefined) {
      return;
    }
    const client = createRealtimeClient({ queryClient, createSocket, onStateChange: setState });
    client.start();
    return () => client.stop();
  }, [userId, queryClient, createSocket]);

  return <RealtimeContext value={state}>{children}</RealtimeContext>;
}
