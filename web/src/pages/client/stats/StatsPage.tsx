import { Button, Card, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { meQuery } from '@/api/queries/auth';
import {
  billingSummaryQuery,
  billingUsageQuery,
  transactionsQuery,
  type BillingSummary,
  type BillingUsage,
  type LedgerEntry,
} from '@/api/queries/billing';
import { BarChart } from '@/components/BarChart';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import type { Language } from '@/i18n/messages';
import { formatDateTime, formatDuration, formatMoney } from '@/i18n/format';
import { Balance } from '@/modules/auth/Balance';

const RANGES = ['7', '30', '90'] as const;

/** /client/stats: balance and how long it lasts, spend per day and per pod, and the ledger. */
export function StatsPage() {
  const { t } = useI18n();
  const me = useQuery(meQuery());
  const summary = useQuery(billingSummaryQuery());
  const user = me.data?.user;
  const name = user === undefined ? '' : user.name === '' ? user.email : user.name;

  return (
    <Stack gap="lg" maw={1200} mx="auto" py="md">
      <Title order={1}>{t('stats.welcome', { name })}</Title>
      <QueryState query={summary}>{(data) => <SummaryCard summary={data} />}</QueryState>
      <UsageSection admin={summary.data?.admin ?? user?.role === 'admin'} />
      <LedgerSection />
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2} role="group" aria-label={label}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} aria-hidden>
        {label}
      </Text>
      <Text fw={600} size="lg" component="div">
        {children}
      </Text>
    </Stack>
  );
}

/** The runway in words: how long the balance lasts at the rate of the running pods. */
function runwayText(summary: BillingSummary, t: ReturnType<typeof useI18n>['t'], language: Language): string {
  if (summary.admin) {
    return t('stats.runway.admin');
  }
  if (summary.runway_seconds === null) {
    return t('stats.runway.idle');
  }
  if (summary.runway_seconds <= 0) {
    return t('stats.runway.empty');
  }
  return t('stats.runway.lasts', {
    duration: formatDuration(summary.runway_seconds, language),
    rate: formatMoney(summary.burn_rate_micros_per_hour, language),
  });
}

function SummaryCard({ summary }: { summary: BillingSummary }) {
  const { t, language } = useI18n();
  const titleId = useId();
  const money = (micros: number) => formatMoney(micros, language);
  const short = !summary.admin && summary.runway_seconds !== null && summary.runway_seconds < 3_600;
  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="md">
        <Group justify="space-between" align="flex-start" wrap="wrap">
          <Stack gap={2}>
            <Text size="sm" c="dimmed" id={titleId}>
              {t('stats.balance')}
            </Text>
            <Text fw={800} fz={36} lh={1.1}>
              <Balance micros={summary.admin ? null : summary.balance_micros} />
            </Text>
            <Text size="sm" c={short ? 'red' : undefined} fw={short ? 600 : undefined} data-testid="runway">
              {runwayText(summary, t, language)}
            </Text>
          </Stack>
          <Group gap="xs">
            <Button component={Link} to="/client/pods/deploy">
              {t('stats.deploy')}
            </Button>
            <Button component={Link} to="/client/pods" variant="default">
              {t('stats.pods')}
            </Button>
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md">
          <Fact label={t('stats.running')}>
            {t('stats.runningValue', { count: summary.running_pods, rate: money(summary.burn_rate_micros_per_hour) })}
          </Fact>
          <Fact label={t('stats.today')}>{money(summary.admin ? summary.usage_today_micros : summary.spent_today_micros)}</Fact>
          <Fact label={t('stats.week')}>{money(summary.admin ? summary.usage_7d_micros : summary.spent_7d_micros)}</Fact>
          <Fact label={t('stats.month')}>{money(summary.admin ? summary.usage_30d_micros : summary.spent_30d_micros)}</Fact>
        </SimpleGrid>
      </Stack>
    </Card>
  );
}

function UsageSection({ admin }: { admin: boolean }) {
  const { t } = useI18n();
  const [days, setDays] = useState<(typeof RANGES)[number]>('30');
  const usage = useQuery(billingUsageQuery(Number(days)));
  const titleId = useId();
  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="md">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4" id={titleId}>
            {admin ? t('stats.usagePerDay') : t('stats.spendPerDay')}
          </Title>
          <SegmentedControl
            size="xs"
            aria-label={t('stats.range')}
            value={days}
            onChange={(value) => {
              const found = RANGES.find((r) => r === value);
              if (found !== undefined) {
                setDays(found);
              }
            }}
            data={RANGES.map((value) => ({ value, label: t('stats.days', { days: value }) }))}
          />
        </Group>
        <QueryState query={usage}>{(data) => <UsageBody usage={data} admin={admin} days={Number(days)} />}</QueryState>
      </Stack>
    </Card>
  );
}

/** A UTC day of the API (YYYY-MM-DD) in the user's language. */
function formatDay(day: string, language: Language, style: 'short' | 'long'): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) {
    return day;
  }
  return new Intl.DateTimeFormat(language, {
    timeZone: 'UTC',
    ...(style === 'short' ? { day: 'numeric', month: 'short' } : { dateStyle: 'medium' }),
  }).format(date);
}

function UsageBody({ usage, admin, days }: { usage: BillingUsage; admin: boolean; days: number }) {
  const { t, language } = useI18n();
  const money = (micros: number) => formatMoney(micros, language);
  const pick = (item: { spent_micros: number; usage_micros: number }) => (admin ? item.usage_micros : item.spent_micros);
  const podsTitleId = useId();
  return (
    <Stack gap="md">
      <Text size="sm">
        {t('stats.total', { days, amount: money(pick(usage)) })}
        {!admin && usage.usage_micros !== usage.spent_micros && ` ${t('stats.atPrice', { amount: money(usage.usage_micros) })}`}
      </Text>
      <BarChart
        title={t(admin ? 'stats.chartUsage' : 'stats.chartSpend', { days })}
        columns={[t('stats.day'), admin ? t('stats.usage') : t('stats.spent')]}
        format={money}
        bars={usage.days.map((day) => ({
          label: formatDay(day.day, language, 'short'),
          fullLabel: formatDay(day.day, language, 'long'),
          value: pick(day),
        }))}
      />
      <Title order={3} size="h5" id={podsTitleId}>
        {t('stats.perPod')}
      </Title>
      {usage.pods.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('stats.noPods')}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={420} type="native">
          <Table verticalSpacing="xs" aria-labelledby={podsTitleId}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('pods.name')}</Table.Th>
                <Table.Th ta="right">{t('stats.spent')}</Table.Th>
                <Table.Th ta="right">{t('stats.usage')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {usage.pods.map((pod) => (
                <Table.Tr key={pod.pod_id}>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{pod.name === '' ? pod.pod_id : pod.name}</Table.Td>
                  <Table.Td ta="right">{money(pod.spent_micros)}</Table.Td>
                  <Table.Td ta="right">{money(pod.usage_micros)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

function LedgerSection() {
  const { t } = useI18n();
  const titleId = useId();
  const ledger = useInfiniteQuery(transactionsQuery());
  const entries = ledger.data?.pages.flatMap((page) => page.items);

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Stack gap="md">
        <Stack gap={2}>
          <Title order={2} size="h4" id={titleId}>
            {t('ledger.title')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('ledger.description')}
          </Text>
        </Stack>
        <QueryState
          query={{ ...ledger, data: entries }}
          isEmpty={(items) => items.length === 0}
          empty={
            <Text size="sm" c="dimmed" ta="center" py="md">
              {t('ledger.empty')}
            </Text>
          }
        >
          {(items) => (
            <Stack gap="sm">
              <LedgerTable entries={items} labelledBy={titleId} />
              {ledger.hasNextPage && (
                <Group justify="center">
                  <Button variant="light" loading={ledger.isFetchingNextPage} onClick={() => void ledger.fetchNextPage()}>
                    {t('ledger.more')}
                  </Button>
                </Group>
              )}
            </Stack>
          )}
        </QueryState>
      </Stack>
    </Card>
  );
}

function LedgerTable({ entries, labelledBy }: { entries: LedgerEntry[]; labelledBy: string }) {
  const { t, language } = useI18n();
  return (
    <Table.ScrollContainer minWidth={680} type="native">
      <Table verticalSpacing="xs" striped aria-labelledby={labelledBy}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('ledger.date')}</Table.Th>
            <Table.Th>{t('ledger.kind')}</Table.Th>
            <Table.Th>{t('ledger.reason')}</Table.Th>
            <Table.Th ta="right">{t('ledger.amount')}</Table.Th>
            <Table.Th ta="right">{t('ledger.balanceAfter')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((entry) => (
            <Table.Tr key={entry.id}>
              <Table.Td>
                <Text size="sm">
                  <time dateTime={entry.ts}>{formatDateTime(entry.ts, language)}</time>
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{t(`ledger.kind.${entry.kind}`)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {entry.reason}
                </Text>
                {entry.actor_email !== '' && (
                  <Text size="xs" c="dimmed">
                    {t('ledger.by', { email: entry.actor_email })}
                  </Text>
                )}
              </Table.Td>
              <Table.Td ta="right">
                <Text size="sm" fw={600} c={entry.amount_micros < 0 ? 'red' : entry.amount_micros > 0 ? 'teal' : undefined}>
                  {entry.amount_micros > 0 ? '+' : ''}
                  {formatMoney(entry.amount_micros, language)}
                </Text>
              </Table.Td>
              <Table.Td ta="right">
                <Text size="sm">{formatMoney(entry.balance_after_micros, language)}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
