import { describe, expect, it } from 'vitest';
import { billingSummaryQuery, type BillingSummary } from '@/api/queries/billing';
import {
  deletePodMutation,
  keepRunningMutation,
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
