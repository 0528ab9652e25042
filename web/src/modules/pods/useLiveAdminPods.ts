import { useQueryClient } from '@tanstack/react-query';
import { putAdminPod, refreshAdminPodCosts, removeAdminPod } from '@/api/queries/adminPods';
import { useRealtimeEvent } from '@/modules/realtime/context';

/**
 * While mounted, the admin pod lists in the cache follow every user's pods live (an admin's socket
 * gets everyone's events): `pod.status` changes a row and adds a pod deployed meanwhile,
 * `pod.deleted` removes one, and `balance.changed` (a charge) refreshes the costs so far.
 */
export function useLiveAdminPods(): void {
  const client = useQueryClient();
  useRealtimeEvent('pod.status', (pod) => {
    if (typeof pod.id === 'string') {
      putAdminPod(client, pod);
    }
  });
  useRealtimeEvent('pod.deleted', ({ id }) => {
    if (typeof id === 'string') {
      removeAdminPod(client, id);
    }
  });
  useRealtimeEvent('balance.changed', () => void refreshAdminPodCosts(client));
}
