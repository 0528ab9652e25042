import { Anchor, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { auditQuery } from '@/api/queries/adminAudit';
import { auditActionLabel } from '@/components/admin/auditActions';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime } from '@/i18n/format';

/**
 * A sign-up refreshes the activity at once (`user.signed_up`, see DashboardPage); most entries
 * (sign-ins, other admins' changes) have no event of their own, hence this slower refetch.
 */
export const ACTIVITY_REFRESH_MS = 60_000;

/** The newest audit entries (sign-ups, sign-ins, blocks, credit, pods started and stopped...). */
export function ActivityCard() {
  const { t, language } = useI18n();
  const entries = useQuery({ ...auditQuery({ limit: 10 }), refetchInterval: ACTIVITY_REFRESH_MS });
  return (
    <Card withBorder radius="md" component="section" aria-labelledby="dashboard-activity" miw={0}>
      <Group justify="space-between" mb="sm">
        <Stack gap={0}>
          <Title order={2} size="h4" id="dashboard-activity">
            {t('dashboard.activity.title')}
          </Title>
          <Text size="xs" c="dimmed">
            {t('dashboard.activity.hint')}
          </Text>
        </Stack>
        <Anchor component={Link} to="/admin/logs" size="sm">
          {t('dashboard.activity.all')}
        </Anchor>
      </Group>
      <QueryState
        query={entries}
        isEmpty={(items) => items.length === 0}
        empty={<Text c="dimmed">{t('dashboard.activity.empty')}</Text>}
      >
        {(items) => (
          <Stack gap={6} component="ul" p={0} m={0} style={{ listStyle: 'none' }} aria-live="polite">
            {items.map((entry) => (
              <li key={entry.id}>
                <Text size="sm">
                  <Text span fw={600}>
                    {auditActionLabel(entry.action, t)}
                  </Text>{' '}
                  {entry.actor_email !== '' && t('dashboard.activity.by', { email: entry.actor_email })}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDateTime(entry.ts, language)}
                </Text>
              </li>
            ))}
          </Stack>
        )}
      </QueryState>
    </Card>
  );
}
