import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import { apiClient } from '@/api/client';
import { billingKeys } from '@/api/queries/billing';
import type { components, operations } from '@/api/schema.gen';

type Schemas = components['schemas'];

export type Pod = Schemas['Pod'];
export type PodStatus = Schemas['PodStatus'];
export type PodUrl = Schemas['PodUrl'];
export type PodList = Schemas['PodList'];
export type LifecycleReport = Schemas['LifecycleReport'];
export type KeepRunningRequest =
  operations['setPodKeepRunning']['requestBody']['content']['application/json'];

export const podKeys = {
  all: ['pods'] as const,
  list: ['pods', 'list'] as const,
  detail: (id: string) => ['pods', 'detail', id] as const,
  lifecycle: (id: string) => ['pods', 'lifecycle', id] as const,
};

const podPath = (id: string, rest = '') => `/api/pods/${encodeURIComponent(id)}${rest}`;

export async function fetchPods(signal?: AbortSignal): Promise<Pod[]> {
  const response = await apiClient.get<PodList>('/api/pods', { signal });
  return response.data.items;
}

export async function fetchPod(id: string, signal?: AbortSignal): Promise<Pod> {
  const response = await apiClient.get<Pod>(podPath(id), { signal });
  return response.data;
}

export async function fetchPodLifecycle(id: string, signal?: AbortSignal): Promise<LifecycleReport> {
  const response = await apiClient.get<LifecycleReport>(podPath(id, '/lifecycle'), { signal });
  return response.data;
}

/** GET /api/pods: the user's pods (not deleted), newest first. Kept current by the realtime client. */
export const podsQuery = () =>
  queryOptions({
    queryKey: podKeys.list,
    queryFn: ({ signal }) => fetchPods(signal),
  });

/** GET /api/pods/{id}: one pod with its status, reason, URLs, progress events and cost so far. */
export const podQuery = (id: string) =>
  queryOptions({
    queryKey: podKeys.detail(id),
    queryFn: ({ signal }) => fetchPod(id, signal),
  });

/** GET /api/pods/{id}/lifecycle: why the pod still runs and when it will stop (idle culling, balance). */
export const podLifecycleQuery = (id: string) =>
  queryOptions({
    queryKey: podKeys.lifecycle(id),
    queryFn: ({ signal }) => fetchPodLifecycle(id, signal),
  });

/**
 * Puts a fresh pod record (a mutation's answer, a `pod.status` event) in the caches that hold it:
 * replaced in the list and the detail. `insert` also adds it to the list when it is not there yet
 * (a pod deployed from another tab); only for the signed-in user's own pods, since the list is theirs.
 */
export function putPod(client: QueryClient, pod: Pod, { insert = false }: { insert?: boolean } = {}): void {
  client.setQueryData(podsQuery().queryKey, (pods) => {
    if (pods === undefined) {
      return pods;
    }
    if (pods.some((p) => p.id === pod.id)) {
      return pods.map((p) => (p.id === pod.id ? pod : p));
    }
    return insert ? [pod, ...pods] : pods; // newest first
  });
  // Only a detail someone has asked for: no cache entries for pods nobody looks at (admins get every event).
  if (client.getQueryData(podQuery(pod.id).queryKey) !== undefined) {
    client.setQueryData(podQuery(pod.id).queryKey, pod);
  }
}

/** Forgets a deleted pod: out of the list, its detail and lifecycle dropped. */
export function removePod(client: QueryClient, id: string): void {
  client.setQueryData(podsQuery().queryKey, (pods) => pods?.filter((p) => p.id !== id));
  client.removeQueries({ queryKey: podKeys.detail(id), exact: true });
  client.removeQueries({ queryKey: podKeys.lifecycle(id), exact: true });
}

/** After a stop or start: the pod's record, its lifecycle and what the user is billed per hour change. */
async function podChanged(client: QueryClient, pod: Pod): Promise<void> {
  putPod(client, pod);
  await Promise.all([
    client.invalidateQueries({ queryKey: podKeys.lifecycle(pod.id) }),
    client.invalidateQueries({ queryKey: billingKeys.summary }),
  ]);
}

// Mutations: `useMutation(stopPodMutation())`, then `mutate(pod.id)`.

/** POST /api/pods/{id}/stop: stops the pod (its Kubernetes objects go; the record and workspace stay). */
export const stopPodMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'stop'],
    mutationFn: async (id: string) => {
      const response = await apiClient.post<Pod>(podPath(id, '/stop'));
      return response.data;
    },
    onSuccess: (pod, _id, _result, { client }) => podChanged(client, pod),
  });

/** POST /api/pods/{id}/start: starts a stopped or failed pod again (same URLs, same workspace). */
export const startPodMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'start'],
    mutationFn: async (id: string) => {
      const response = await apiClient.post<Pod>(podPath(id, '/start'));
      return response.data;
    },
    onSuccess: (pod, _id, _result, { client }) => podChanged(client, pod),
  });

/** DELETE /api/pods/{id}: stops and deletes the pod (the record stays for billing; the workspace stays). */
export const deletePodMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'delete'],
    mutationFn: async (id: string) => {
      await apiClient.delete(podPath(id));
    },
    onSuccess: async (_data, id, _result, { client }) => {
      removePod(client, id);
      await Promise.all([
        client.invalidateQueries({ queryKey: podKeys.list }),
        client.invalidateQueries({ queryKey: billingKeys.summary }),
      ]);
    },
  });

/** PUT /api/pods/{id}/keep-running: exempts the pod from idle culling (when the admin allows it). */
export const keepRunningMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'keep-running'],
    mutationFn: async ({ id, keepRunning }: { id: string; keepRunning: boolean }) => {
      const body: KeepRunningRequest = { keep_running: keepRunning };
      const response = await apiClient.put<Pod>(podPath(id, '/keep-running'), body);
      return response.data;
    },
    onSuccess: async (pod, _variables, _result, { client }) => {
      putPod(client, pod);
      await client.invalidateQueries({ queryKey: podKeys.lifecycle(pod.id) });
    },
  });
