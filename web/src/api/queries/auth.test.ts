import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/apiError';
import {
  clearUserData,
  fetchMe,
  googleSignInUrl,
  isAccountBlocked,
  logoutMutation,
  meQuery,
  sessionsQuery,
} from '@/api/queries/auth';
import { statusQuery, type Status } from '@/api/queries/system';
import { ana, verified } from '@/test/fixtures';
import { fakeServer, requested, serve, testQueryClient } from '@/test/render';

describe('fetchMe (GET /api/auth/verify)', () => {
  it('resolves to the user and session when signed in', async () => {
    serve(fakeServer({ 'GET /api/auth/verify': { status: 200, data: verified(ana) } }).adapter);
    await expect(fetchMe()).resolves.toEqual(verified(ana));
  });

  it('resolves to null on 401: signed out is an answer, not a failure', async () => {
    serve(fakeServer({}).adapter);
    await expect(fetchMe()).resolves.toBeNull();
  });

  it('rejects on 403 account_blocked, which isAccountBlocked recognises', async () => {
    serve(
      fakeServer({
        'GET /api/auth/verify': { status: 403, data: { error: { code: 'account_blocked', message: 'Blocked' } } },
      }).adapter,
    );
    const error = await fetchMe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(isAccountBlocked(error)).toBe(true);
  });
});

describe('googleSignInUrl', () => {
  it('points the browser at the server with return_to encoded', () => {
    expect(googleSignInUrl('/pods?x=1')).toBe('/api/auth/google?return_to=%2Fpods%3Fx%3D1');
  });
});

describe('signing out', () => {
  it('clearUserData drops per-user queries but keeps public ones and me', async () => {
    const client = testQueryClient();
    client.setQueryData(meQuery().queryKey, verified(ana));
    client.setQueryData(sessionsQuery().queryKey, []);
    client.setQueryData(['pods'], ['p1']);
    const status: Status = {
      name: 'neuropod',
      version: '1',
      uptime_seconds: 1,
      time: '2026-01-01T00:00:00Z',
      database: { status: 'ok' },
      kubernetes: { status: 'ok' },
    };
    await client.prefetchQuery({ ...statusQuery(), queryFn: () => Promise.resolve(status) });
    clearUserData(client);
    const keys = client
      .getQueryCache()
      .getAll()
      .map((q) => q.queryKey);
    expect(keys).toEqual(expect.arrayContaining([meQuery().queryKey, statusQuery().queryKey]));
    expect(keys).toHaveLength(2);
  });

  it('logout sets me to null and forgets the user data, even if the session had already ended (401)', async () => {
    const server = fakeServer({
      'POST /api/auth/logout': { status: 401, data: { error: { code: 'unauthorized', message: 'Expired' } } },
    });
    serve(server.adapter);
    const client = testQueryClient();
    client.setQueryData(meQuery().queryKey, verified(ana));
    client.setQueryData(sessionsQuery().queryKey, []);

    await client.getMutationCache().build(client, logoutMutation()).execute(undefined);

    expect(requested(server.calls)).toEqual(['POST /api/auth/logout']);
    expect(client.getQueryData(meQuery().queryKey)).toBeNull();
    expect(client.getQueryData(sessionsQuery().queryKey)).toBeUndefined();
  });
});
