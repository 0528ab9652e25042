import { notifications } from '@mantine/notifications';
import { useI18n } from '@/i18n/context';
import { NOTIFICATION_COLORS } from '@/modules/notifications/kinds';
import { notificationText, notificationTitle } from '@/modules/notifications/text';
import { useNotificationEvents } from '@/modules/realtime/context';

/** How long a toast stays (ms); the bell keeps the notification until it is read. */
const TOAST_MS = 8_000;

/**
 * Shows a toast for every `notification.created` event of the signed-in user. Renders nothing: the
 * toasts go to Mantine's <Notifications /> (in AppLayout), an aria-live region.
 */
export function NotificationToasts() {
  const { language } = useI18n();
  useNotificationEvents((notification) => {
    notifications.show({
      id: `notification-${notification.id}`,
      title: notificationTitle(notification.kind, language),
      message: notificationText(notification, language),
      color: NOTIFICATION_COLORS[notification.kind] ?? 'indigo',
      autoClose: TOAST_MS,
      withBorder: true,
    });
  });
  return null;
}
