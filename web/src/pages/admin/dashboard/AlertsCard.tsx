import { Anchor, Badge, Card, Group, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { alertsQuery, type Alert, type AlertSeverity } from '@/api/queries/adminAlerts';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime, formatRelativeTime } from '@/i18n/format';
import { alertSummary, alertTitle, asFields, textField } from '@/modules/alerts/text';

/** How often "Raised 5 minutes ago" is brought up to date. */
const CLOCK_MS = 30_000;

export const SEVERITY_COLORS = { critical: 'red', warning: 'orange' } as const satisfies Record<AlertSeverity, string>;

/** Critical before warning, then oldest first: what to look at first leads. */
export function sortAlerts(items: readonly Alert[]): Alert[] {
  const rank = (a: Alert) => (a.severity === 'critical' ? 0 : 1);
  return [...items].sort((a, b) => rank(a) - rank(b) || Date.parse(a.since) - Date.parse(b.since));
}

/** The current time, renewed every `everyMs`. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function CheckIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.5" aria-hidden focusable="false">
      <path d="M5 12.5l4.5 4.5L19 7.5" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/**
 * The alerts raised now (GET /api/admin/alerts), most urgent first. The realtime client adds and
 * removes them on `alert.raised` / `alert.cleared`, so the card follows them live.
 */
export function AlertsCard() {
  const { t } = useI18n();
  const alerts = useQuery(alertsQuery());
  const count = alerts.data?.items.length ?? 0;
  const critical = alerts.data?.items.some((a) => a.severity === 'critical') ?? false;
  return (
    <Card withBorder radius="md" component="section" aria-labelledby="dashboard-alerts" miw={0}>
      <Group justify="space-between" mb="sm" gap="xs">
        <Title order={2} size="h4" id="dashboard-alerts">
          {t('dashboard.alerts.title')}
        </Title>
        {count > 0 && (
          <Badge color={critical ? 'red' : 'orange'} variant="filled">
            {count === 1 ? t('dashboard.alerts.count.one') : t('dashboard.alerts.count.other', { count })}
          </Badge>
        )}
      </Group>
      <div aria-live="polite">
        <QueryState query={alerts}>
          {(list) => (
            <Stack gap="sm">
              {!list.leading && (
                <Text size="sm" c="dimmed">
                  {t('dashboard.alerts.notLeading')}
                </Text>
              )}
              {list.items.length > 0 ? (
                <AlertList items={list.items} />
              ) : (
                list.leading && <AllClear />
              )}
            </Stack>
          )}
        </QueryState>
      </div>
    </Card>
  );
}

function AllClear() {
  const { t } = useI18n();
  return (
    <Group gap="sm" wrap="nowrap" align="flex-start">
      <ThemeIcon color="teal" variant="light" radius="xl" aria-hidden>
        <CheckIcon />
      </ThemeIcon>
      <Stack gap={0}>
        <Text fw={600}>{t('dashboard.alerts.allClear')}</Text>
        <Text size="sm" c="dimmed">
          {t('dashboard.alerts.allClearHint')}
        </Text>
      </Stack>
    </Group>
  );
}

function AlertList({ items }: { items: readonly Alert[] }) {
  const { t } = useI18n();
  const now = useNow(CLOCK_MS);
  return (
    <Stack gap="xs" component="ul" p={0} m={0} style={{ listStyle: 'none' }} aria-label={t('dashboard.alerts.list')}>
      {sortAlerts(items).map((alert) => (
        <AlertItem key={alert.id} alert={alert} now={now} />
      ))}
    </Stack>
  );
}

function AlertItem({ alert, now }: { alert: Alert; now: number }) {
  const { t, language } = useI18n();
  const color = SEVERITY_COLORS[alert.severity] ?? 'orange';
  const since = Date.parse(alert.since);
  // A clock behind the server's must not say "in 10 seconds".
  const raised = formatRelativeTime(alert.since, language, Number.isNaN(since) ? now : Math.max(now, since));
  return (
    <li>
      <Paper
        withBorder
        radius="sm"
        p="sm"
        style={{ borderInlineStart: `4px solid var(--mantine-color-${color}-filled)` }}
      >
        <Stack gap={4}>
          <Group justify="space-between" gap="xs" align="flex-start">
            <Group gap="xs" wrap="nowrap" miw={0}>
              <Badge size="sm" color={color} variant="light" miw="max-content">
                {t(`dashboard.alerts.severity.${alert.severity}`)}
              </Badge>
              <Text size="sm" fw={600}>
                {alertTitle(alert.kind, language) ?? alert.kind}
              </Text>
            </Group>
            <Text size="xs" c="dimmed">
              {t('dashboard.alerts.raised', { when: raised })} · <time dateTime={alert.since}>{formatDateTime(alert.since, language)}</time>
            </Text>
          </Group>
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {alertSummary(alert, language)}
          </Text>
          <AlertLinks alert={alert} />
        </Stack>
      </Paper>
    </li>
  );
}

/** Where to look next: the failing pod's page, or the list of pods. */
function AlertLinks({ alert }: { alert: Alert }) {
  const { t } = useI18n();
  const details = asFields(alert.details);
  if (alert.kind === 'pod_failing') {
    const id = textField(details, 'pod_id');
    if (id === undefined) {
      return null;
    }
    return (
      <Anchor component={Link} to={`/client/pods/${encodeURIComponent(id)}`} size="sm">
        {t('dashboard.alerts.openPod', { name: textField(details, 'pod_name') ?? id })}
      </Anchor>
    );
  }
  if (alert.kind === 'pods_failing') {
    return (
      <Anchor component={Link} to="/admin/pods" size="sm">
        {t('dashboard.alerts.failedPods')}
      </Anchor>
    );
  }
  return null;
}
