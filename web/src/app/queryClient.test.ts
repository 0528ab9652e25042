import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/apiError';
import { shouldRetry } from '@/app/queryClient';

const error = (status: number, code: ApiError['code']) => new ApiError({ status, code, message: code });

describe('shouldRetry', () => {
  it('does not retry answers the client caused (4xx)', () => {
    expect(shouldRetry(0, error(404, 'not_found'))).toBe(false);
    expect(shouldRetry(0, error(400, 'validation_failed'))).toBe(false);
  });

  it('retries network failures and 5xx twice', () => {
    for (const e of [error(0, 'network_error'), error(503, 'service_unavailable')]) {
      expect([0, 1, 2].map((count) => shouldRetry(count, e))).toEqual([true, true, false]);
    }
  });
});
