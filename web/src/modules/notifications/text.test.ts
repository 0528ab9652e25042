import { describe, expect, it } from 'vitest';
import type { Notification } from '@/api/queries/notifications';
import { formatDateTime } from '@/i18n/format';
import { notificationText, notificationTitle } from '@/modules/notifications/text';
import { notification } from '@/test/fixtures';

const ID = '65e000000000000000000001';
const POD = '65d000000000000000000001';
const STOP_AT = '2026-03-01T10:20:00Z';

const balance = { balance_micros: 1_500_000, burn_rate_micros_per_hour: 3_000_000, runway_seconds: 1_800, threshold_minutes: 30 };

/** Each kind with the data the server stores (server/src: metering, pods, idle, alerts) and its message. */
const cases: [string, Notification, { en: string; es: string }][] = [
  [
    'low_balance',
    notification({ id: ID, kind: 'low_balance', data: balance, message: 'Your balance (€1.50) lasts about 30 minutes…' }),
    {
      en: 'Your balance (€1.50) lasts about 30 min at the price of your running pods (€3.00/h). Add credit to keep them running.',
      es: 'Tu saldo (1,50\u00a0€) dura unos 30 min al precio de tus pods en marcha (3,00\u00a0€/h). Añade crédito para que sigan en marcha.',
    },
  ],
  [
    'critical_balance',
    notification({ id: ID, kind: 'critical_balance', data: { ...balance, runway_seconds: 3_900, threshold_minutes: 10 } }),
    {
      en: 'Your balance (€1.50) lasts about 1 hr 5 min at the price of your running pods (€3.00/h). Add credit to keep them running.',
      es: 'Tu saldo (1,50\u00a0€) dura unos 1 h 5 min al precio de tus pods en marcha (3,00\u00a0€/h). Añade crédito para que sigan en marcha.',
    },
  ],
  [
    'out_of_credit',
    notification({ id: ID, kind: 'out_of_credit', data: { ...balance, balance_micros: 0, runway_seconds: 0, threshold_minutes: 0 } }),
    {
      en: 'Your balance ran out (€0.00): your running pods were stopped and their workspaces are kept. Add credit to start them again.',
      es: 'Se agotó tu saldo (0,00\u00a0€): tus pods en marcha se han detenido y sus espacios de trabajo se conservan. Añade crédito para volver a arrancarlos.',
    },
  ],
  [
    'pod_failed (what Kubernetes said is kept from the message)',
    notification({
      id: ID,
      kind: 'pod_failed',
      data: { pod_id: POD, pod_name: 'notebook', reason: 'ErrImagePull' },
      message: 'Your pod notebook failed (ErrImagePull): image not found',
    }),
    {
      en: 'Your pod notebook failed (ErrImagePull). image not found',
      es: 'Tu pod notebook ha fallado (ErrImagePull). image not found',
    },
  ],
  [
    'pod_failed (what Kubernetes said, from the data)',
    notification({
      id: ID,
      kind: 'pod_failed',
      data: { pod_id: POD, pod_name: 'notebook', reason: 'Unschedulable', message: '0/3 nodes have enough GPUs' },
      message: 'Your pod notebook failed (Unschedulable): something older',
    }),
    {
      en: 'Your pod notebook failed (Unschedulable). 0/3 nodes have enough GPUs',
      es: 'Tu pod notebook ha fallado (Unschedulable). 0/3 nodes have enough GPUs',
    },
  ],
  [
    'pod_failed without a reason or a message of the usual shape',
    notification({ id: ID, kind: 'pod_failed', data: { pod_id: POD, pod_name: 'notebook', reason: '' }, message: 'Something else' }),
    { en: 'Your pod notebook failed.', es: 'Tu pod notebook ha fallado.' },
  ],
  [
    'idle_warning',
    notification({ id: ID, kind: 'idle_warning', data: { pod_id: POD, pod_name: 'notebook', stop_at: STOP_AT } }),
    {
      en: `Your pod notebook has had no activity for a while and will be stopped at ${formatDateTime(STOP_AT, 'en')}. Open it, or turn on “Keep running when idle”, to keep it running.`,
      es: `Tu pod notebook lleva un rato sin actividad y se detendrá el ${formatDateTime(STOP_AT, 'es')}. Ábrelo, o activa «Mantener en marcha aunque esté inactivo», para que siga en marcha.`,
    },
  ],
  [
    'pod_culled',
    notification({ id: ID, kind: 'pod_culled', data: { pod_id: POD, pod_name: 'notebook' } }),
    {
      en: 'Your pod notebook was stopped because nobody used it for a while; its workspace is kept. Start it again when you need it.',
      es: 'Tu pod notebook se ha detenido porque nadie lo usaba desde hacía un rato; su espacio de trabajo se conserva. Vuelve a arrancarlo cuando lo necesites.',
    },
  ],
  [
    'pod_culled (with the idle minutes)',
    notification({ id: ID, kind: 'pod_culled', data: { pod_id: POD, pod_name: 'notebook', idle_minutes: 45 } }),
    {
      en: 'Your pod notebook was stopped after 45 minutes without activity; its workspace is kept. Start it again when you need it.',
      es: 'Tu pod notebook se ha detenido tras 45 minutos sin actividad; su espacio de trabajo se conserva. Vuelve a arrancarlo cuando lo necesites.',
    },
  ],
  [
    'alert_raised (database_down)',
    notification({
      id: ID,
      kind: 'alert_raised',
      data: {
        id: 'database_down',
        kind: 'database_down',
        severity: 'critical',
        message: 'The database does not answer: timeout',
        details: { error: 'timeout' },
        since: '2026-03-01T10:00:00Z',
      },
      message: 'Alert: The database does not answer: timeout',
    }),
    { en: 'Alert: The database does not answer: timeout', es: 'Alerta: La base de datos no responde: timeout' },
  ],
  [
    'alert_raised (kubernetes_unreachable)',
    notification({ id: ID, kind: 'alert_raised', data: { kind: 'kubernetes_unreachable', details: { error: 'connect: refused' } } }),
    {
      en: 'Alert: The Kubernetes API server does not answer: connect: refused',
      es: 'Alerta: El servidor de la API de Kubernetes no responde: connect: refused',
    },
  ],
  [
    'alert_raised (pod_failing)',
    notification({
      id: ID,
      kind: 'alert_raised',
      data: { kind: 'pod_failing', details: { pod_id: POD, pod_name: 'notebook', failures: 3 } },
    }),
    {
      en: 'Alert: Pod notebook failed 3 times in a short time.',
      es: 'Alerta: El pod notebook ha fallado 3 veces en poco tiempo.',
    },
  ],
  [
    'alert_raised (pods_failing)',
    notification({ id: ID, kind: 'alert_raised', data: { kind: 'pods_failing', details: { pods: 5 } } }),
    { en: 'Alert: 5 different pods failed in a short time.', es: 'Alerta: Han fallado 5 pods distintos en poco tiempo.' },
  ],
  [
    'alert_raised (billing_stalled, never succeeded)',
    notification({ id: ID, kind: 'alert_raised', data: { kind: 'billing_stalled', details: { last_success: null } } }),
    {
      en: 'Alert: No billing pass has succeeded since this server began running them: pods are not being charged.',
      es: 'Alerta: Ningún cobro ha salido bien desde que este servidor los ejecuta: no se está cobrando a los pods.',
    },
  ],
  [
    'alert_cleared (billing_stalled)',
    notification({
      id: ID,
      kind: 'alert_cleared',
      data: { kind: 'billing_stalled', details: { last_success: '2026-03-01T09:00:00Z' }, cleared_at: '2026-03-01T10:00:00Z' },
    }),
    {
      en: `Resolved: No successful billing pass since ${formatDateTime('2026-03-01T09:00:00Z', 'en')}: pods are not being charged.`,
      es: `Resuelta: Ningún cobro correcto desde el ${formatDateTime('2026-03-01T09:00:00Z', 'es')}: no se está cobrando a los pods.`,
    },
  ],
];

describe('notificationText', () => {
  it.each(cases)('%s, in English and Spanish', (_name, n, expected) => {
    expect(notificationText(n, 'en')).toBe(expected.en);
    expect(notificationText(n, 'es')).toBe(expected.es);
  });

  it.each([
    ['low_balance without a runway (nothing running)', notification({ id: ID, kind: 'low_balance', data: { ...balance, runway_seconds: null } })],
    ['out_of_credit without data', notification({ id: ID, kind: 'out_of_credit' })],
    ['pod_failed without a name', notification({ id: ID, kind: 'pod_failed', data: { pod_id: POD } })],
    ['idle_warning with a stop_at that is no date', notification({ id: ID, kind: 'idle_warning', data: { pod_name: 'a', stop_at: 'soon' } })],
    ['pod_culled with a name that is no string', notification({ id: ID, kind: 'pod_culled', data: { pod_name: 7 } })],
    ['alert_raised of an alert kind this app does not know', notification({ id: ID, kind: 'alert_raised', data: { kind: 'disk_full', details: {} } })],
    ['alert_cleared whose details lack the error', notification({ id: ID, kind: 'alert_cleared', data: { kind: 'database_down', details: {} } })],
    ['a kind this app does not know', { ...notification({ id: ID, data: balance }), kind: 'quota_changed' as Notification['kind'] }],
    ['data that is not an object', { ...notification({ id: ID }), data: null as unknown as Notification['data'] }],
  ])("falls back to the server's message: %s", (_name, n) => {
    const withMessage = { ...n, message: 'The server said so.' };
    expect(notificationText(withMessage, 'es')).toBe('The server said so.');
    expect(notificationText(withMessage, 'en')).toBe('The server said so.');
  });
});

describe('notificationTitle', () => {
  it("is the kind's title, or a generic one for a kind this app does not know", () => {
    expect(notificationTitle('pod_culled', 'en')).toBe('Idle pod stopped');
    expect(notificationTitle('pod_culled', 'es')).toBe('Pod inactivo detenido');
    expect(notificationTitle('quota_changed', 'en')).toBe('Notification');
    expect(notificationTitle('quota_changed', 'es')).toBe('Notificación');
  });
});
