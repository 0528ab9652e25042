import type { Session, User, VerifyResponse } from '@/api/queries/auth';

/** A client with 10 € of credit, signed in with Google. */
export const ana: User = {
  id: '65a000000000000000000001',
  email: 'ana@example.com',
  name: 'Ana García',
  avatar_url: '',
  role: 'client',
  blocked: false,
  unlimited: false,
  balance_micros: 10_000_000,
  created_at: '2026-01-02T10:00:00Z',
};

/** An admin: never limited by balance, so the API sends balance_micros: null. */
export const admin: User = {
  ...ana,
  id: '65a000000000000000000002',
  email: 'root@example.com',
  name: 'Root',
  role: 'admin',
  unlimited: true,
  balance_micros: null,
};

export function verified(user: User, sessionId = '65b000000000000000000001'): VerifyResponse {
  return { user, session: { id: sessionId } };
}

export function session(overrides: Partial<Session> & Pick<Session, 'id'>): Session {
  return {
    method: 'google',
    created_at: '2026-03-01T09:00:00Z',
    last_seen_at: '2026-03-02T18:30:00Z',
    expires_at: '2026-04-01T09:00:00Z',
    ip: '203.0.113.7',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    current: false,
    ...overrides,
  };
}
