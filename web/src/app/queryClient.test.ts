import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/apiError';
import { meQuery } from '@/api/queries/auth';
import { shouldRetry } from '@/api/retry';
import { createQueryClient } from '@/app/queryClient';
import { ana, verified } from '@/test/fixtures';

const error = (status: number, code: ApiError['code']) => new ApiError({ status, code, message: code });

describe('shouldRetry', () => {
  it('does not retry answers the client caused (4xx)', () => {
    expect(shouldRetry(0, error(404, 'not_found'))).toBe(false);
    expect(shouldRetry(0, error(400, 'validation_failed'))).toBe(false);
  });

  it('never retries 401 and 403 (signed out, blocked, not allowed)', () => {
    expect(shouldRetry(0, error(401, 'unauthorized'))).toBe(false);
    expect(shouldRetry(0, error(403, 'account_blocked'))).toBe(false);
    expect(meQuery().retry).toBe(shouldRetry);
  });

  it('retries network failures and 5xx twice', () => {
    for (const e of [error(0, 'network_error'), error(503, 'service_unavailable')]) {
      expect([0, 1, 2].map((count) => shouldRetry(count, e))).toEqual([true, true, false]);
    }
  });
});

describe('createQueryClient', () => {
  it('marks the browser signed out when any query or mutation gets a 401 (session expired or revoked)', async () => {
    const client = createQueryClient();
    const meKey = meQuery().queryKey;
    client.setQueryData(meKey, verified(ana));

    await client
      .fetchQuery({ queryKey: ['pods'], queryFn: () => Promise.reject(error(404, 'not_found')) })
      .catch(() => {});
    expect(client.getQueryData(meKey)).toEqual(verified(ana));

    await client
      .fetchQuery({ queryKey: ['pods'], queryFn: () => Promise.reject(error(401, 'unauthorized')) })
      .catch(() => {});
    expect(client.getQueryData(meKey)).toBeNull();

    client.setQueryData(meKey, verified(ana));
    const mutation = client.getMutationCache().build(client, {
      mutationFn: () => Promise.reject(error(401, 'unauthorized')),
    });
    await mutation.execute(undefined).catch(() => {});
    expect(client.getQueryData(meKey)).toBeNull();
  });
});
