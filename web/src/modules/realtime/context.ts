import { createContext, useContext } from 'react';
import type { RealtimeState } from '@/api/realtime';

export const RealtimeContext = createContext<RealtimeState>('idle');

/** The live updates' connection: `open` while events arrive, `waiting` while reconnecting. */
export function useRealtimeState(): RealtimeState {
  return useContext(RealtimeContext);
}
