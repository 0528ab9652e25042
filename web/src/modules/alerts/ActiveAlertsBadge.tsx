import { Badge, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { alertsQuery } from '@/api/queries/adminAlerts';
import { useI18n } from '@/i18n/context';

/**
 * How many alerts are active, as a small red badge (admins; beside the dashboard's navigation
 * entry). Nothing while there are none, or while they cannot be known. The realtime client keeps
 * the count current (alert.raised / alert.cleared).
 */
export function ActiveAlertsBadge() {
  const { t } = useI18n();
  const alerts = useQuery(alertsQuery());
  const count = alerts.data?.items.length ?? 0;
  if (count === 0) {
    return null;
  }
  return (
    <>
      <Badge size="sm" color="red" variant="filled" circle={count < 10} aria-hidden>
        {count > 99 ? '99+' : count}
      </Badge>
      <VisuallyHidden>{count === 1 ? t('dashboard.alerts.nav.one') : t('dashboard.alerts.nav.other', { count })}</VisuallyHidden>
    </>
  );
}
