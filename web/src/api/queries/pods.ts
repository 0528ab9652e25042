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
export type DeployRequest = Schemas['DeployRequest'];
export type PodAccess = Pod['access'];
export type ShareLink = Schemas['ShareLink'];
export type ShareList = operations['listPodShares']['responses'][200]['content']['application/json'];
export type CreateShareRequest = NonNullable<operations['createPodShare']['requestBody']>['content']['application/json'];
type LogParams = NonNullable<operations['getPodLogs']['parameters']['query']>;

export const podKeys = {
  all: ['pods'] as const,
  list: ['pods', 'list'] as const,
  details: ['pods', 'detail'] as const,
  detail: (id: string) => ['pods', 'detail', id] as const,
  lifecycle: (id: string) => ['pods', 'lifecycle', id] as const,
  shares: (id: string) => ['pods', 'shares', id] as const,
  logs: (id: string, tail: number) => ['pods', 'logs', id, tail] as const,
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

export async function fetchPodShares(id: string, signal?: AbortSignal): Promise<ShareLink[]> {
  const response = await apiClient.get<ShareList>(podPath(id, '/shares'), { signal });
  return response.data.items;
}

export async function fetchPodLogs(id: string, tail: number, signal?: AbortSignal): Promise<string> {
  const params: LogParams = { tail };
  const response = await apiClient.get<string>(podPath(id, '/logs'), { params, signal, responseType: 'text' });
  return typeof response.data === 'string' ? response.data : String(response.data ?? '');
}

/** The text received so far from a progress event of axios's XHR adapter (the browser's). */
function receivedText(progress: { event?: unknown }): string | undefined {
  const target = (progress.event as { target?: unknown } | undefined)?.target;
  if (typeof target === 'object' && target !== null && 'responseText' in target) {
    const text = (target as { responseText: unknown }).responseText;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/**
 * GET /api/pods/{id}/logs?follow=true: the last `tail` lines, then the output as it comes, until the
 * pod stops or `signal` aborts. `onText` gets everything received so far, each time more arrives.
 * Resolves with the whole text when the server ends the stream (no client timeout applies).
 */
export async function followPodLogs(
  id: string,
  { tail, onText, signal }: { tail: number; onText: (text: string) => void; signal: AbortSignal },
): Promise<string> {
  const params: LogParams = { tail, follow: true };
  const response = await apiClient.get<string>(podPath(id, '/logs'), {
    params,
    signal,
    responseType: 'text',
    timeout: 0,
    onDownloadProgress: (progress) => {
      const text = receivedText(progress);
      if (text !== undefined) {
        onText(text);
      }
    },
  });
  const text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
  onText(text);
  return text;
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

/** GET /api/pods/{id}/shares: the pod's share links, newest first (without their secret URLs). */
export const podSharesQuery = (id: string) =>
  queryOptions({
    queryKey: podKeys.shares(id),
    queryFn: ({ signal }) => fetchPodShares(id, signal),
  });

/** GET /api/pods/{id}/logs?tail=N: the last lines of the pod's output, once (see followPodLogs to follow). */
export const podLogsQuery = (id: string, tail = 500) =>
  queryOptions({
    queryKey: podKeys.logs(id, tail),
    queryFn: ({ signal }) => fetchPodLogs(id, tail, signal),
    staleTime: 0,
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
      return pods.map((p) => (p.id === pod.id ? newerPod(p, pod) : p));
    }
    return insert ? [pod, ...pods] : pods; // newest first
  });
  // Only a detail someone has asked for: no cache entries for pods nobody looks at (admins get every event).
  const detail = client.getQueryData(podQuery(pod.id).queryKey);
  if (detail !== undefined) {
    client.setQueryData(podQuery(pod.id).queryKey, newerPod(detail, pod));
  }
}

/**
 * `fresh` in place of `cached`, but never with a lower cost so far: a pod's cost only grows, and the
 * record of a stop (its pod.status, the stop's answer) can carry the cost from before the run was
 * settled, while a refetch after the settling's balance.changed already brought the charged one.
 */
export function newerPod(cached: Pod, fresh: Pod): Pod {
  return fresh.cost_micros < cached.cost_micros ? { ...fresh, cost_micros: cached.cost_micros } : fresh;
}

/**
 * Refetches the pods shown now (the list and the details in use): their cost so far changed
 * (`balance.changed`: a billing pass charged them, or a stopped run was settled), which no
 * pod.status announces. A fetch already under way is not restarted.
 */
export async function refreshPodCosts(client: QueryClient): Promise<void> {
  await Promise.all([
    client.invalidateQueries({ queryKey: podKeys.list }, { cancelRefetch: false }),
    client.invalidateQueries({ queryKey: podKeys.details }, { cancelRefetch: false }),
  ]);
}

/** Forgets a deleted pod: out of the list, its detail, lifecycle, share links and logs dropped. */
export function removePod(client: QueryClient, id: string): void {
  client.setQueryData(podsQuery().queryKey, (pods) => pods?.filter((p) => p.id !== id));
  client.removeQueries({ queryKey: podKeys.detail(id), exact: true });
  client.removeQueries({ queryKey: podKeys.lifecycle(id), exact: true });
  client.removeQueries({ queryKey: podKeys.shares(id), exact: true });
  client.removeQueries({ queryKey: ['pods', 'logs', id] });
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

/** POST /api/pods: deploys a pod from a template or a custom image; it joins the list at once. */
export const deployPodMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'deploy'],
    mutationFn: async (body: DeployRequest) => {
      const response = await apiClient.post<Pod>('/api/pods', body);
      return response.data;
    },
    onSuccess: async (pod, _body, _result, { client }) => {
      putPod(client, pod, { insert: true });
      await Promise.all([
        client.invalidateQueries({ queryKey: podKeys.list }),
        client.invalidateQueries({ queryKey: billingKeys.summary }),
      ]);
    },
  });

/** PUT /api/pods/{id}/access: who may open the pod's URLs (owner, any signed-in user, anyone). */
export const setPodAccessMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'access'],
    mutationFn: async ({ id, access }: { id: string; access: PodAccess }) => {
      const response = await apiClient.put<Pod>(podPath(id, '/access'), { access });
      return response.data;
    },
    onSuccess: (pod, _variables, _result, { client }) => putPod(client, pod),
  });

/** POST /api/pods/{id}/shares: a link that opens the pod until it expires; its URL is only in this answer. */
export const createShareMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'share'],
    mutationFn: async ({ id, ...body }: { id: string } & CreateShareRequest) => {
      const response = await apiClient.post<ShareLink>(podPath(id, '/shares'), body);
      return response.data;
    },
    onSuccess: async (share, { id }, _result, { client }) => {
      client.setQueryData(podSharesQuery(id).queryKey, (shares) =>
        shares === undefined ? shares : [share, ...shares.filter((s) => s.id !== share.id)],
      );
      await client.invalidateQueries({ queryKey: podKeys.shares(id) });
    },
  });

/** DELETE /api/pods/{id}/shares/{share_id}: revokes a share link at once. */
export const revokeShareMutation = () =>
  mutationOptions({
    mutationKey: ['pods', 'revoke-share'],
    mutationFn: async ({ id, shareId }: { id: string; shareId: string }) => {
      await apiClient.delete(podPath(id, `/shares/${encodeURIComponent(shareId)}`));
    },
    onSuccess: async (_data, { id, shareId }, _result, { client }) => {
      client.setQueryData(podSharesQuery(id).queryKey, (shares) =>
        shares?.map((s) => (s.id === shareId ? { ...s, state: 'revoked' as const } : s)),
      );
      await client.invalidateQueries({ queryKey: podKeys.shares(id) });
    },
  });
