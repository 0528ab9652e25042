import type { Alert } from '@/api/queries/adminAlerts';
import type { Session, User, VerifyResponse } from '@/api/queries/auth';
import type { Notification } from '@/api/queries/notifications';
import type { Pod } from '@/api/queries/pods';

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

/** A running Jupyter pod of ana's from a template, 0.50 €/h, 1.25 € spent so far. */
export function pod(overrides: Partial<Pod> & Pick<Pod, 'id'>): Pod {
  return {
    user_id: ana.id,
    user_email: ana.email,
    name: 'notebook',
    template_id: '65c000000000000000000001',
    template_slug: 'jupyter',
    template_name: 'Jupyter Lab',
    image: 'quay.io/jupyter/base-notebook:2026-01-01',
    ports: [{ port: 8888, name: 'lab', protocol: 'http' }],
    env: [],
    command: [],
    args: [],
    workspace_path: '/home/jovyan/work',
    resources: { cpu: '1', memory: '2Gi', gpus: 0 },
    tier: 'small',
    price_per_hour_micros: 500_000,
    desired: 'running',
    status: 'running',
    ready: true,
    reason: '',
    message: '',
    node: 'node-1',
    restarts: 0,
    urls: [{ port: 8888, name: 'lab', protocol: 'http', url: 'https://notebook-ana-8888.pods.example.com' }],
    events: [],
    access: 'owner',
    keep_running: false,
    last_activity_at: null,
    cost_micros: 1_250_000,
    created_at: '2026-03-01T09:00:00Z',
    updated_at: '2026-03-01T09:05:00Z',
    started_at: '2026-03-01T09:00:10Z',
    running_since: '2026-03-01T09:01:00Z',
    stopped_at: null,
    ...overrides,
  };
}

/**
 * An alert as GET /api/admin/alerts and the alert.* events send it (by default: the database is
 * down). `details` is any JSON object (the generated type cannot say which).
 */
export function alert(overrides: Partial<Omit<Alert, 'details'>> & { details?: Record<string, unknown> } = {}): Alert {
  const { details = { error: 'connection refused' }, ...rest } = overrides;
  return {
    id: rest.kind ?? 'database_down',
    kind: 'database_down',
    severity: 'critical',
    message: 'The database does not answer: connection refused',
    since: '2026-03-01T10:00:00Z',
    ...rest,
    details: details as Alert['details'],
  };
}

/** A notification of ana's; `data` is any JSON object (the generated type cannot say which). */
export function notification(
  overrides: Partial<Omit<Notification, 'data'>> & Pick<Notification, 'id'> & { data?: Record<string, unknown> },
): Notification {
  const { data = {}, ...rest } = overrides;
  return {
    user_id: ana.id,
    kind: 'low_balance',
    message: 'Your balance lasts less than 60 minutes.',
    created_at: '2026-03-01T10:00:00Z',
    read: false,
    ...rest,
    data: data as Notification['data'],
  };
}
