import { Anchor, Badge, Card, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { adminBillingSummaryQuery } from '@/api/queries/adminBilling';
import { adminPodsQuery, livePodQuery } from '@/api/queries/adminPods';
import { userCountQuery, userSignedUp } from '@/api/queries/adminUsers';
import type { Pod } from '@/api/queries/pods';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatMoney, formatNumber } from '@/i18n/format';
import { useRealtimeEvent, useRealtimeState } from '@/modules/realtime/context';
import { PodStatusBadge } from '@/modules/pods/PodStatusBadge';
import { useLiveAdminPods } from '@/modules/pods/useLiveAdminPods';
import { ActivityCard } from '@/pages/admin/dashboard/ActivityCard';
import { AlertsCard } from '@/pages/admin/dashboard/AlertsCard';
import { CapacityCard } from '@/pages/admin/dashboard/CapacityCard';
import { SpendCard } from '@/pages/admin/dashboard/SpendCard';

/** /dashboard (admins): alerts, users, pods running, income, spend per day, free capacity and recent activity. */
export function DashboardPage() {
  const { t } = useI18n();
  const client = useQueryClient();
  const live = useRealtimeState();
  // A new user: the count and the activity (its sign-up entry) follow at once.
  useRealtimeEvent('user.signed_up', () => void userSignedUp(client));
  return (
    <Stack gap="lg" maw={1300} mx="auto" py="xl">
      <Group justify="space-between" align="flex-end">
        <Stack gap={4}>
          <Title order={1}>{t('dashboard.title')}</Title>
          <Text c="dimmed">{t('dashboard.description')}</Text>
        </Stack>
        {live === 'waiting' && (
          <Badge color="orange" variant="dot" role="status">
            {t('admin.liveWaiting')}
          </Badge>
        )}
      </Group>
      <AlertsCard />
      <Stats />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <SpendCard />
        <CapacityCard />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <ActivityCard />
        <FailedPods />
      </SimpleGrid>
    </Stack>
  );
}

function Stat({ label, value, hint }: { label: string; value: string; hint?: string | undefined }) {
  // A group named by its label, so that a screen reader says "Users, 42".
  return (
    <Paper withBorder p="md" radius="md" role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} aria-hidden>
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.3}>
        {value}
      </Text>
      {hint !== undefined && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

function Stats() {
  const { t, language } = useI18n();
  const users = useQuery(userCountQuery());
  const summary = useQuery(adminBillingSummaryQuery());
  const money = (micros: number) => formatMoney(micros, language);
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, lg: 5 }}>
      <QueryState query={users}>
        {(count) => <Stat label={t('dashboard.users')} value={formatNumber(count, language)} />}
      </QueryState>
      <QueryState query={summary}>
        {(s) => (
          <>
            <Stat
              label={t('dashboard.runningPods')}
              value={formatNumber(s.running_pods, language)}
              hint={t('dashboard.usersRunning', { count: s.users_running })}
            />
            <Stat
              label={t('dashboard.income')}
              value={money(s.burn_rate_micros_per_hour)}
              hint={
                s.admin_burn_rate_micros_per_hour > 0
                  ? t('dashboard.adminUsage', { amount: money(s.admin_burn_rate_micros_per_hour) })
                  : undefined
              }
            />
            <Stat
              label={t('dashboard.balances')}
              value={money(s.client_balances_micros)}
              hint={t('dashboard.outOfCredit', { count: s.clients_out_of_credit })}
            />
            <Stat
              label={t('dashboard.spent')}
              value={money(s.spent_today_micros)}
              hint={`${t('dashboard.spent7d', { amount: money(s.spent_7d_micros) })} · ${t('dashboard.spent30d', {
                amount: money(s.spent_30d_micros),
              })}`}
            />
          </>
        )}
      </QueryState>
    </SimpleGrid>
  );
}

/** The failed pods, live: a pod that fails while the page is open joins them; a fixed one shows its new status until the next visit. */
function FailedPods() {
  const { t } = useI18n();
  const failed = useQuery(adminPodsQuery({ status: 'failed', limit: 10 }));
  const rows = useQueries({
    queries: (failed.data ?? []).map((pod) => livePodQuery(pod)),
    combine: (results) => results.map((r) => r.data).filter((p): p is Pod => p !== undefined),
  });
  useLiveAdminPods();
  return (
    <Card withBorder radius="md" component="section" aria-labelledby="dashboard-failed" miw={0}>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="dashboard-failed">
          {t('dashboard.failed.title')}
        </Title>
        <Anchor component={Link} to="/admin/pods" size="sm">
          {t('dashboard.failed.all')}
        </Anchor>
      </Group>
      <QueryState
        query={failed}
        isEmpty={() => rows.length === 0}
        empty={<Text c="dimmed">{t('dashboard.failed.none')}</Text>}
      >
        {() => (
          <Stack gap="xs" component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
            {rows.map((pod) => (
              <li key={pod.id}>
                <Group gap="xs" wrap="nowrap" align="flex-start">
                  <PodStatusBadge status={pod.status} />
                  <Stack gap={0}>
                    <Text size="sm" fw={600}>
                      {pod.name} · {pod.user_email}
                    </Text>
                    {pod.message !== '' && (
                      <Text size="xs" c="dimmed">
                        {pod.message}
                      </Text>
                    )}
                  </Stack>
                </Group>
              </li>
            ))}
          </Stack>
        )}
      </QueryState>
    </Card>
  );
}
