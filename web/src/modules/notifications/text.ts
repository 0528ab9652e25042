import type { Notification, NotificationKind } from '@/api/queries/notifications';
import { formatDateTime, formatDuration, formatMoney } from '@/i18n/format';
import { translate, type Language } from '@/i18n/messages';
import { alertText, asFields, numberField, textField, type Fields } from '@/modules/alerts/text';

/**
 * What Kubernetes said about a failed pod (English anyway): `data.message` from servers that send
 * it, else taken from the server's message `Your pod {name} failed ({reason}): {detail}`.
 */
function podFailureDetail(
  data: Fields,
  message: string,
  name: string,
  reason: string | undefined,
): string | undefined {
  const fromData = textField(data, 'message')?.trim();
  if (fromData !== undefined && fromData !== '') {
    return fromData;
  }
  const prefix = `Your pod ${name} failed (${reason ?? ''}): `;
  const detail = message.startsWith(prefix) ? message.slice(prefix.length).trim() : '';
  return detail === '' ? undefined : detail;
}

function localized(notification: Pick<Notification, 'kind' | 'message'>, data: Fields, language: Language): string | undefined {
  const money = (micros: number) => formatMoney(micros, language);
  switch (notification.kind) {
    case 'low_balance':
    case 'critical_balance': {
      const balance = numberField(data, 'balance_micros');
      const rate = numberField(data, 'burn_rate_micros_per_hour');
      const runway = numberField(data, 'runway_seconds');
      if (balance === undefined || rate === undefined || runway === undefined) {
        return undefined;
      }
      return translate(language, 'notification.text.balance', {
        balance: money(balance),
        rate: money(rate),
        runway: formatDuration(runway, language),
      });
    }
    case 'out_of_credit': {
      const balance = numberField(data, 'balance_micros');
      return balance === undefined ? undefined : translate(language, 'notification.text.out_of_credit', { balance: money(balance) });
    }
    case 'pod_failed': {
      const name = textField(data, 'pod_name');
      if (name === undefined) {
        return undefined;
      }
      const reason = textField(data, 'reason');
      const text =
        reason === undefined
          ? translate(language, 'notification.text.pod_failed', { name })
          : translate(language, 'notification.text.pod_failedReason', { name, reason });
      const detail = podFailureDetail(data, notification.message, name, reason);
      return detail === undefined ? text : `${text} ${detail}`;
    }
    case 'idle_warning': {
      const name = textField(data, 'pod_name');
      const stopAt = textField(data, 'stop_at');
      if (name === undefined || stopAt === undefined || Number.isNaN(Date.parse(stopAt))) {
        return undefined;
      }
      return translate(language, 'notification.text.idle_warning', { name, time: formatDateTime(stopAt, language) });
    }
    case 'pod_culled': {
      const name = textField(data, 'pod_name');
      if (name === undefined) {
        return undefined;
      }
      const minutes = numberField(data, 'idle_minutes');
      return minutes === undefined
        ? translate(language, 'notification.text.pod_culled', { name })
        : translate(language, 'notification.text.pod_culledMinutes', { name, minutes: String(minutes) });
    }
    case 'alert_raised':
    case 'alert_cleared': {
      // The data is the alert (server/src/alerts: AlertsLoop::store).
      const text = alertText(data, language);
      return text === undefined ? undefined : translate(language, `notification.text.${notification.kind}`, { text });
    }
    default:
      return undefined;
  }
}

/**
 * A notification's text in `language`, built from its kind and data; the server's `message`
 * (English) when the data lacks what the text needs or the kind is unknown to this app. The bell
 * and the toasts both show this.
 */
export function notificationText(notification: Pick<Notification, 'kind' | 'message' | 'data'>, language: Language): string {
  return localized(notification, asFields(notification.data), language) ?? notification.message;
}

const KINDS: readonly string[] = [
  'low_balance',
  'critical_balance',
  'out_of_credit',
  'pod_failed',
  'idle_warning',
  'pod_culled',
  'alert_raised',
  'alert_cleared',
] satisfies readonly NotificationKind[];

/** The short title of a notification's kind (`Low balance`); a generic one for a kind this app does not know yet. */
export function notificationTitle(kind: string, language: Language): string {
  return KINDS.includes(kind)
    ? translate(language, `notification.kind.${kind as NotificationKind}`)
    : translate(language, 'notification.kind.other');
}
