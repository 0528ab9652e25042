import { Card, List, Stack, Switch, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { asApiError } from '@/api/apiError';
import { keepRunningMutation, podLifecycleQuery, type LifecycleReport, type Pod } from '@/api/queries/pods';
import { ErrorState } from '@/components/ErrorState';
import { QueryState } from '@/components/QueryState';
import { useI18n } from '@/i18n/context';
import { formatDateTime, formatDuration } from '@/i18n/format';

/** "Why is it still running?": the server's reasons, when it will stop, and the keep-running switch. */
export function LifecycleCard({ pod }: { pod: Pod }) {
  const { t } = useI18n();
  const titleId = useId();
  // The stop times move as the pod is used and billed: asked again every half minute.
  const lifecycle = useQuery({ ...podLifecycleQuery(pod.id), refetchInterval: 30_000 });

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={titleId}>
      <Title order={2} size="h4" id={titleId} mb="sm">
        {t('lifecycle.title')}
      </Title>
      <QueryState query={lifecycle}>{(report) => <LifecycleBody pod={pod} report={report} />}</QueryState>
    </Card>
  );
}

function LifecycleBody({ pod, report }: { pod: Pod; report: LifecycleReport }) {
  const { t, language } = useI18n();
  const keep = useMutation(keepRunningMutation());
  const checked = keep.isPending ? (keep.variables?.keepRunning ?? pod.keep_running) : pod.keep_running;
  const { idle, balance } = report;

  return (
    <Stack gap="sm">
      {report.reasons.length > 0 ? (
        <List size="sm" spacing={4} aria-label={t('lifecycle.reasons')}>
          {report.reasons.map((reason) => (
            <List.Item key={reason}>{reason}</List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm" c="dimmed">
          {report.running ? t('lifecycle.noReasons') : t('lifecycle.notRunning')}
        </Text>
      )}
      {report.running && (
        <Text size="sm" fw={600} role="status">
          {report.stop_at === null
            ? t('lifecycle.noStop')
            : t('lifecycle.stopAt', { time: formatDateTime(report.stop_at, language) })}
        </Text>
      )}
      <Text size="sm" c="dimmed">
        {idle.culling === 'off'
          ? t('lifecycle.idleOff')
          : idle.culling === 'exempt'
            ? t('lifecycle.idleExempt')
            : t('lifecycle.idleOn', { minutes: idle.timeout_minutes })}
        {' '}
        {report.last_activity_at === null
          ? t('lifecycle.noActivity')
          : t('lifecycle.lastActivity', { time: formatDateTime(report.last_activity_at, language) })}
      </Text>
      {!balance.unlimited && balance.runway_seconds !== null && (
        <Text size="sm" c="dimmed">
          {t('lifecycle.balance', { duration: formatDuration(balance.runway_seconds, language) })}
        </Text>
      )}
      <Switch
        checked={checked}
        disabled={(!idle.keep_running_allowed && !pod.keep_running) || keep.isPending}
        label={t('lifecycle.keepRunning')}
        // The label wraps the description too: the name is the label alone, the description describes.
        aria-label={t('lifecycle.keepRunning')}
        description={idle.keep_running_allowed ? t('lifecycle.keepRunningHint') : t('lifecycle.keepRunningNotAllowed')}
        onChange={(event) => keep.mutate({ id: pod.id, keepRunning: event.currentTarget.checked })}
      />
      {keep.error !== null && <ErrorState error={asApiError(keep.error)} />}
    </Stack>
  );
}
