import { describe, expect, it } from 'vitest';
import { billingSummaryQuery, type BillingSummary } from '@/api/queries/billing';
import {
  deletePodMutation,
  deployPodMutation,
  followPodLogs,
  keepRunningMutation,
  podSharesQuery,
  revokeShareMutation,
  podLifecycleQuery,
  podQuery,
  podsQuery,
  stopPodMutation,
} from '@/api/queries/pods';
import { pod } from '@/test/fixtures';
import { fakeServer, requested, serve, testQueryClient } from '@/test/render';

const notebook = pod({ id: '65d000000000000000000001' });
const other = pod({ id: '65d000000000000000000002', name: 'other' });

describe('pod queries', () => {
  it('GET /api/pods resolves to the items; GET /api/pods/{id}/lifecycle to the report', async () => {
    const server = fakeServer({
      'GET /api/pods': { status: 200, data: { items: [notebook] } },
      [`GET /api/pods/${notebook.id}/lifecycle`]: { status: 200, data: { pod_id: notebook.id } },
    });
    serve(server.adapter);
    const client = testQueryClient();
    await expect(client.fetchQuery(podsQuery())).resolves.toEqual([notebook]);
    await expect(client.fetchQuery(podLifecycleQuery(notebook.id))).resolves.toEqual({ pod_id: notebook.id });
    expect(requested(server.calls)).toEqual(['GET /api/pods', `GET /api/pods/${notebook.id}/lifecycle`]);
  });

  it("stop puts the server's answer in the list and detail, and refetches the billing summary", async () => {
    const stopping = { ...notebook, status: 'stopping' as const };
    serve(fakeServer({ [`POST /api/pods/${notebook.id}/stop`]: { status: 200, data: stopping } }).adapter);
    const client = testQueryClient();
    client.setQueryData(podsQuery().queryKey, [notebook, other]);
    client.setQueryData(podQuery(notebook.id).queryKey, notebook);
    client.setQueryData(billingSummaryQuery().queryKey, { running_pods: 2 } as BillingSummary);

    await client.getMutationCache().build(client, stopPodMutation()).execute(notebook.id);

    expect(client.getQueryData(podsQuery().queryKey)).toEqual([stopping, other]);
    expect(client.getQueryData(podQuery(notebook.id).queryKey)).toEqual(stopping);
    expect(client.getQueryState(billingSummaryQuery().queryKey)?.isInvalidated).toBe(true);
  });

  it('delete removes the pod from the caches', async () => {
    serve(
      fakeServer({
        [`DELETE /api/pods/${notebook.id}`]: { status: 204 },
        'GET /api/pods': { status: 200, data: { items: [other] } },
      }).adapter,
    );
    const client = testQueryClient();
    client.setQueryData(podsQuery().queryKey, [notebook, other]);
    client.setQueryData(podQuery(notebook.id).queryKey, notebook);

    await client.getMutationCache().build(client, deletePodMutation()).execute(notebook.id);

    expect(client.getQueryData(podsQuery().queryKey)).toEqual([other]);
    expect(client.getQueryState(podQuery(notebook.id).queryKey)).toBeUndefined();
  });

  it('keep-running sends {keep_running} with PUT', async () => {
    const server = fakeServer({
      [`PUT /api/pods/${notebook.id}/keep-running`]: (config) => ({
        status: 200,
        data: { ...notebook, keep_running: (JSON.parse(String(config.data)) as { keep_running: boolean }).keep_running },
      }),
    });
    serve(server.adapter);
    const client = testQueryClient();
    client.setQueryData(podsQuery().queryKey, [notebook]);

    await client.getMutationCache().build(client, keepRunningMutation()).execute({ id: notebook.id, keepRunning: true });

    expect(server.calls[0]?.data).toBe('{"keep_running":true}');
    expect(client.getQueryData(podsQuery().queryKey)?.[0]?.keep_running).toBe(true);
  });
});

describe('deploy and logs', () => {
  it('deploy posts the request and adds the new pod at the top of the cached list', async () => {
    const created = pod({ id: '65d0000000000000000000aa', name: 'new', status: 'pending' });
    const server = fakeServer({ 'POST /api/pods': { status: 201, data: created }, 'GET /api/pods': { status: 200, data: { items: [created, notebook] } } });
    serve(server.adapter);
    const client = testQueryClient();
    client.setQueryData(podsQuery().queryKey, [notebook]);
    await client.getMutationCache().build(client, deployPodMutation()).execute({ name: 'new', template_slug: 'jupyter' });
    expect(JSON.parse(String(server.calls[0]?.data))).toEqual({ name: 'new', template_slug: 'jupyter' });
    expect(client.getQueryData(podsQuery().queryKey)?.map((p) => p.id)).toEqual([created.id, notebook.id]);
  });

  it('followPodLogs hands over the text received so far, then the whole, with no timeout', async () => {
    const server = fakeServer({
      [`GET /api/pods/${notebook.id}/logs`]: (config) => {
        config.onDownloadProgress?.({ loaded: 2, bytes: 2, lengthComputable: false, event: { target: { responseText: 'a\n' } } });
        config.onDownloadProgress?.({ loaded: 4, bytes: 2, lengthComputable: false, event: { target: { responseText: 'a\nb\n' } } });
        return { status: 200, data: 'a\nb\nc\n' };
      },
    });
    serve(server.adapter);
    const seen: string[] = [];
    const text = await followPodLogs(notebook.id, { tail: 100, onText: (t) => seen.push(t), signal: new AbortController().signal });
    expect(text).toBe('a\nb\nc\n');
    expect(seen).toEqual(['a\n', 'a\nb\n', 'a\nb\nc\n']);
    expect(server.calls[0]?.params).toEqual({ tail: 100, follow: true });
    expect(server.calls[0]?.timeout).toBe(0);
  });

  it('revoking a share marks it revoked in the cached list', async () => {
    serve(fakeServer({ [`DELETE /api/pods/${notebook.id}/shares/s1`]: { status: 204 }, [`GET /api/pods/${notebook.id}/shares`]: { status: 500 } }).adapter);
    const client = testQueryClient();
    const share = { id: 's1', label: '', created_at: '', expires_at: '', revoked_at: null, state: 'active' as const, url: null };
    client.setQueryData(podSharesQuery(notebook.id).queryKey, [share]);
    await client.getMutationCache().build(client, revokeShareMutation()).execute({ id: notebook.id, shareId: 's1' });
    expect(client.getQueryData(podSharesQuery(notebook.id).queryKey)?.[0]?.state).toBe('revoked');
  });
});
