import { ActionIcon, Badge, Button, Group, Indicator, Popover, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { asApiError } from '@/api/apiError';
import {
  markAllNotificationsReadMutation,
  markNotificationReadMutation,
  notificationsQuery,
  type Notification,
  type NotificationPage,
} from '@/api/queries/notifications';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime } from '@/i18n/format';
import { NOTIFICATION_COLORS } from '@/modules/notifications/kinds';
import { notificationText, notificationTitle } from '@/modules/notifications/text';

/** The unread ones the bell lists (the count is of all of them). */
const UNREAD = { unread: true, limit: 20 } as const;

function BellIcon() {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden focusable="false">
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** The header's bell: how many notifications are unread, and a list of them to mark read. */
export function NotificationBell() {
  const { t } = useI18n();
  const [opened, setOpened] = useState(false);
  const unread = useQuery(notificationsQuery(UNREAD));
  const count = unread.data?.unread ?? 0;
  const headingId = useId();

  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={360} shadow="md" trapFocus withinPortal>
      <Popover.Target>
        <Indicator label={count > 99 ? '99+' : count} size={16} color="red" disabled={count === 0} offset={4} zIndex={2}>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            aria-label={count === 0 ? t('notifications.bell') : t('notifications.bellUnread', { count })}
            aria-expanded={opened}
            aria-haspopup="dialog"
            onClick={() => setOpened((o) => !o)}
          >
            <BellIcon />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown p="sm" role="dialog" aria-labelledby={headingId}>
        <NotificationList query={unread} headingId={headingId} />
      </Popover.Dropdown>
    </Popover>
  );
}

function NotificationList({ query, headingId }: { query: UseQueryResult<NotificationPage>; headingId: string }) {
  const { t } = useI18n();
  const markAll = useMutation(markAllNotificationsReadMutation());
  const markOne = useMutation(markNotificationReadMutation());
  const failure = markAll.error ?? markOne.error;
  const count = query.data?.unread ?? 0;

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="nowrap">
        <Title order={2} size="h5" id={headingId}>
          {t('notifications.title')}
        </Title>
        <Button size="compact-xs" variant="subtle" disabled={count === 0} loading={markAll.isPending} onClick={() => markAll.mutate()}>
          {t('notifications.markAllRead')}
        </Button>
      </Group>
      {failure !== null && <ErrorState error={asApiError(failure)} />}
      <QueryState
        query={query}
        isEmpty={(page) => page.items.length === 0}
        empty={
          <Text size="sm" c="dimmed" ta="center" py="md">
            {t('notifications.empty')}
          </Text>
        }
      >
        {(page) => (
          <ScrollArea.Autosize mah={360} type="auto">
            <Stack gap="xs" component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }} aria-label={t('notifications.unreadList')}>
              {page.items.map((notification) => (
                <NotificationItem
                  key={notification.id}
                  notification={notification}
                  marking={markOne.isPending && markOne.variables === notification.id}
                  onRead={() => markOne.mutate(notification.id)}
                />
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
      </QueryState>
    </Stack>
  );
}

function NotificationItem({ notification, marking, onRead }: { notification: Notification; marking: boolean; onRead: () => void }) {
  const { t, language } = useI18n();
  const messageId = useId();
  return (
    <li>
      <Stack gap={4} p="xs" style={{ borderRadius: 'var(--mantine-radius-sm)', background: 'var(--mantine-color-default-hover)' }}>
        <Group justify="space-between" gap="xs" wrap="nowrap">
          <Badge size="sm" variant="light" color={NOTIFICATION_COLORS[notification.kind] ?? 'indigo'}>
            {notificationTitle(notification.kind, language)}
          </Badge>
          <Text size="xs" c="dimmed">
            <time dateTime={notification.created_at}>{formatDateTime(notification.created_at, language)}</time>
          </Text>
        </Group>
        <Text size="sm" id={messageId}>
          {notificationText(notification, language)}
        </Text>
        <Group justify="flex-end">
          <Button size="compact-xs" variant="light" loading={marking} aria-describedby={messageId} onClick={onRead}>
            {t('notifications.markRead')}
          </Button>
        </Group>
      </Stack>
    </li>
  );
}
