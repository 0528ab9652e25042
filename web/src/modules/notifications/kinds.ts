import type { NotificationKind } from '@/api/queries/notifications';

/** The colour of each kind of notification: warnings yellow/orange, what stopped something red or grey. */
export const NOTIFICATION_COLORS = {
  low_balance: 'yellow',
  critical_balance: 'orange',
  out_of_credit: 'red',
  pod_failed: 'red',
  idle_warning: 'yellow',
  pod_culled: 'gray',
  alert_raised: 'red',
  alert_cleared: 'green',
} as const satisfies Record<NotificationKind, string>;
