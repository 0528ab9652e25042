import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import { billingKeys } from '@/api/queries/billing';
import { newerPod, podQuery, putPod, type Pod, type PodList, type PodStatus } from '@/api/queries/pods';
import type { operations } from '@/api/schema.gen';

type ListParams = NonNullable<operations['adminListPods']['parameters']['query']>;

/** What GET /api/admin/pods filters on the server. */
export interface AdminPodFilter {
  status?: PodStatus;
  userId?: string;
  limit?: number;
}

// Under podKeys.all: the realtime client refetches them after a gap in the events.
export const adminPodKeys = {
  all: ['pods', 'admin'] as const,
  list: (filter: AdminPodFilter) => ['pods', 'admin', filter] as const,
};

function toParams({ status, userId, limit }: AdminPodFilter): ListParams {
  return {
    ...(status !== undefined && { status }),
    ...(userId !== undefined && { user_id: userId }),
    ...(limit !== undefined && { limit }),
  };
}

export async function fetchAdminPods(filter: AdminPodFilter, signal?: AbortSignal): Promise<Pod[]> {
  const response = await apiClient.get<PodList>('/api/admin/pods', { params: toParams(filter), signal });
  return response.data.items;
}

/**
 * GET /api/admin/pods: every user's pods, newest first. Each pod's record is also put in its detail
 * cache entry (`podQuery(id)`), which the realtime client updates on `pod.status`: the admin table
 * reads its rows from there (see livePodQuery), so statuses change live for every user's pods.
 * useLiveAdminPods (src/modules/pods) adds the pods deployed meanwhile and drops the deleted ones.
 */
export const adminPodsQuery = (filter: AdminPodFilter = {}) =>
  queryOptions({
    queryKey: adminPodKeys.list(filter),
    queryFn: async ({ signal, client }) => {
      const pods = await fetchAdminPods(filter, signal);
      for (const pod of pods) {
        client.setQueryData(podQuery(pod.id).queryKey, pod);
      }
      return pods;
    },
  });

/**
 * One row of the admin table: the pod's detail cache entry, never fetched on its own (the list
 * fills it, `pod.status` events replace it).
 */
export const livePodQuery = (pod: Pod) =>
  queryOptions({
    ...podQuery(pod.id),
    initialData: pod,
    enabled: false,
  });

/** Whether the server would list `pod` under `filter`. */
export function matchesAdminFilter(pod: Pod, filter: AdminPodFilter): boolean {
  return (filter.status === undefined || pod.status === filter.status) && (filter.userId === undefined || pod.user_id === filter.userId);
}

/** The cached admin lists, each with its filter. */
function cachedLists(client: QueryClient): { key: readonly unknown[]; filter: AdminPodFilter; pods: Pod[] }[] {
  return client
    .getQueriesData<Pod[]>({ queryKey: adminPodKeys.all })
    .filter((entry): entry is [readonly unknown[], Pod[]] => Array.isArray(entry[1]))
    .map(([key, pods]) => ({ key, filter: (key[2] ?? {}) as AdminPodFilter, pods }));
}

/**
 * A pod's fresh record (a `pod.status` of any user's pod) in the cached admin lists: replaced where
 * it is (also when it no longer matches a list's filter: it leaves at the next refetch, so that a
 * row does not vanish under the admin's pointer), and added, in its place by creation time, to the
 * lists it matches and is missing from (a pod just deployed, one that just failed).
 */
export function putAdminPod(client: QueryClient, pod: Pod): void {
  for (const { key, filter, pods } of cachedLists(client)) {
    let next: Pod[];
    if (pods.some((p) => p.id === pod.id)) {
      next = pods.map((p) => (p.id === pod.id ? newerPod(p, pod) : p));
    } else if (matchesAdminFilter(pod, filter)) {
      const created = Date.parse(pod.created_at);
      const at = pods.findIndex((p) => Date.parse(p.created_at) < created);
      next = at === -1 ? [...pods, pod] : [...pods.slice(0, at), pod, ...pods.slice(at)];
      if (filter.limit !== undefined) {
        next = next.slice(0, filter.limit);
      }
    } else {
      continue;
    }
    client.setQueryData(key, next);
  }
}

/** A deleted pod (`pod.deleted`) out of every cached admin list. */
export function removeAdminPod(client: QueryClient, id: string): void {
  for (const { key, pods } of cachedLists(client)) {
    if (pods.some((p) => p.id === id)) {
      client.setQueryData(
        key,
        pods.filter((p) => p.id !== id),
      );
    }
  }
}

/**
 * Refetches the admin lists shown (their rows' cost so far changed: a `balance.changed`, which no
 * pod.status announces). A fetch already under way is not restarted, so that a billing pass that
 * charges many users at once costs one refetch.
 */
export async function refreshAdminPodCosts(client: QueryClient): Promise<void> {
  await client.invalidateQueries({ queryKey: adminPodKeys.all }, { cancelRefetch: false });
}

/** POST /api/pods/{id}/stop as an admin: any user's pod (the server records StoppedByAdmin). */
export const adminStopPodMutation = () =>
  mutationOptions({
    mutationKey: ['admin', 'pods', 'stop'],
    mutationFn: async (id: string) => {
      const response = await apiClient.post<Pod>(`/api/pods/${encodeURIComponent(id)}/stop`);
      return response.data;
    },
    onSuccess: async (pod, _id, _result, { client }) => {
      putPod(client, pod);
      await client.invalidateQueries({ queryKey: billingKeys.all });
    },
  });
