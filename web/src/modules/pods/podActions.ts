import type { Pod, PodUrl } from '@/api/queries/pods';

/** Pods asked to run that can be stopped: not yet stopping, stopped or failed. */
export function canStop(pod: Pod): boolean {
  return pod.status === 'pending' || pod.status === 'creating' || pod.status === 'running';
}

/** Stopped and failed pods start again (same URLs, same workspace). */
export function canStart(pod: Pod): boolean {
  return pod.status === 'stopped' || pod.status === 'failed';
}

/** The links to offer: HTTP ports with a URL, while the pod runs. */
export function openableUrls(pod: Pod): PodUrl[] {
  return pod.status === 'running' ? pod.urls.filter((u) => u.protocol === 'http' && u.url !== '') : [];
}
