import { Card, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { adminBillingUsageQuery } from '@/api/queries/adminBilling';
import { BarChart } from '@/components/BarChart';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatMoney } from '@/i18n/format';

export const CHART_DAYS = 14;

/** What every user spent per UTC day over the last CHART_DAYS days (GET /api/admin/billing/usage). */
export function SpendCard() {
  const { t, language } = useI18n();
  const usage = useQuery(adminBillingUsageQuery(CHART_DAYS));
  const dayLabel = (day: string) =>
    new Intl.DateTimeFormat(language, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
      new Date(`${day}T00:00:00Z`),
    );
  return (
    <Card withBorder radius="md" component="section" aria-labelledby="dashboard-spend" miw={0}>
      <Title order={2} size="h4" mb="sm" id="dashboard-spend">
        {t('dashboard.chart.title', { days: CHART_DAYS })}
      </Title>
      <QueryState query={usage}>
        {(data) => {
          const max = Math.max(0, ...data.days.map((d) => d.spent_micros));
          return (
            <BarChart
              title={t('dashboard.chart.title', { days: CHART_DAYS })}
              summary={t('dashboard.chart.summary', {
                amount: formatMoney(data.spent_micros, language),
                days: data.days.length,
                max: formatMoney(max, language),
              })}
              columns={[t('dashboard.chart.day'), t('dashboard.chart.spent')]}
              format={(micros) => formatMoney(micros, language)}
              bars={data.days.map((d) => ({
                label: String(Number(d.day.slice(8, 10))),
                fullLabel: dayLabel(d.day),
                value: d.spent_micros,
              }))}
            />
          );
        }}
      </QueryState>
    </Card>
  );
}
