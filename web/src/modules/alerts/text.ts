import type { Alert, AlertKind } from '@/api/queries/adminAlerts';
import { formatDateTime, formatNumber } from '@/i18n/format';
import { translate, type Language } from '@/i18n/messages';

const KINDS: readonly string[] = [
  'kubernetes_unreachable',
  'database_down',
  'pod_failing',
  'pods_failing',
  'billing_stalled',
] satisfies readonly AlertKind[];

export function isAlertKind(kind: unknown): kind is AlertKind {
  return typeof kind === 'string' && KINDS.includes(kind);
}

/** `details` (or a notification's `data`) as the server sent it: any JSON object. */
export type Fields = Record<string, unknown>;

export function asFields(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

/** A non-empty string field, else undefined. */
export function textField(fields: Fields, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A finite number field, else undefined. */
export function numberField(fields: Fields, key: string): number | undefined {
  const value = fields[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The short title of an alert's kind (`Database down`), or undefined for a kind this app does not know. */
export function alertTitle(kind: unknown, language: Language): string | undefined {
  return isAlertKind(kind) ? translate(language, `alert.kind.${kind}`) : undefined;
}

/**
 * What the alert says, in `language`, built from its kind and details (see server/src/alerts). It
 * is undefined when they lack what the text needs, or the kind is unknown: show the server's
 * `message` (English) instead.
 */
export function alertText(alert: { kind?: unknown; details?: unknown }, language: Language): string | undefined {
  const details = asFields(alert.details);
  switch (alert.kind) {
    case 'kubernetes_unreachable':
    case 'database_down': {
      const error = textField(details, 'error');
      return error === undefined ? undefined : translate(language, `alert.text.${alert.kind}`, { error });
    }
    case 'pod_failing': {
      const name = textField(details, 'pod_name');
      const failures = numberField(details, 'failures');
      return name === undefined || failures === undefined
        ? undefined
        : translate(language, 'alert.text.pod_failing', { name, count: formatNumber(failures, language) });
    }
    case 'pods_failing': {
      const pods = numberField(details, 'pods');
      return pods === undefined ? undefined : translate(language, 'alert.text.pods_failing', { count: formatNumber(pods, language) });
    }
    case 'billing_stalled': {
      if (!('last_success' in details)) {
        return undefined;
      }
      const last = textField(details, 'last_success');
      return last === undefined
        ? translate(language, 'alert.text.billing_stalledNever')
        : translate(language, 'alert.text.billing_stalled', { time: formatDateTime(last, language) });
    }
    default:
      return undefined;
  }
}

/** alertText, or the server's message. */
export function alertSummary(alert: Pick<Alert, 'kind' | 'details' | 'message'>, language: Language): string {
  return alertText(alert, language) ?? alert.message;
}
