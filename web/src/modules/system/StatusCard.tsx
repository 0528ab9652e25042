import { Badge, Card, Divider, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { DependencyStatus, Status } from '@/api/queries/system';
import { useI18n } from '@/i18n/context';
import { formatDuration, formatNumber, formatTime } from '@/i18n/format';
import { DependencyBadge } from '@/modules/system/DependencyBadge';

interface Props {
  status: Status;
  /** When the data was fetched (epoch ms), shown as "Updated at …". */
  updatedAt?: number;
}

export function isHealthy(status: Status): boolean {
  return [status.database, status.kubernetes].every((dependency) => dependency.status !== 'down');
}

export function StatusCard({ status, updatedAt }: Props) {
  const { t, language } = useI18n();
  const healthy = isHealthy(status);

  return (
    <Card withBorder radius="md" padding="lg" shadow="sm" aria-label={t('status.title')} component="section">
      <Group justify="space-between" mb="md">
        <Title order={2} size="h4">
          {t('status.title')}
        </Title>
        <Badge color={healthy ? 'teal' : 'orange'} variant="filled">
          {t(healthy ? 'status.overall.ok' : 'status.overall.degraded')}
        </Badge>
      </Group>

      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md" mb="md">
        <Fact label={t('status.version')}>
          <Group gap="xs">
            <Text ff="monospace" fw={600}>
              {status.version}
            </Text>
            {status.environment !== undefined && (
              <Badge variant="outline" color="gray" size="sm">
                {t(`environment.${status.environment}`)}
              </Badge>
            )}
          </Group>
        </Fact>
        <Fact label={t('status.uptime')}>
          <Text fw={600}>{formatDuration(status.uptime_seconds, language)}</Text>
        </Fact>
      </SimpleGrid>

      <Divider mb="sm" />
      <Stack gap="sm">
        <DependencyRow label={t('status.database')} dependency={status.database} />
        <DependencyRow label={t('status.kubernetes')} dependency={status.kubernetes} />
      </Stack>

      {updatedAt !== undefined && updatedAt > 0 && (
        <Text size="xs" c="dimmed" mt="md">
          {t('status.updatedAt', { time: formatTime(updatedAt, language) })}
        </Text>
      )}
    </Card>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      {children}
    </Stack>
  );
}

function DependencyRow({ label, dependency }: { label: string; dependency: DependencyStatus }) {
  const { t, language } = useI18n();
  return (
    <div role="group" aria-label={label}>
      <Group justify="space-between" wrap="nowrap">
        <Text fw={500}>{label}</Text>
        <Group gap="sm" wrap="nowrap">
          {dependency.latency_ms !== undefined && (
            <Text size="sm" c="dimmed">
              {t('status.latency', { ms: formatNumber(dependency.latency_ms, language) })}
            </Text>
          )}
          <DependencyBadge status={dependency.status} />
        </Group>
      </Group>
      {dependency.error !== undefined && dependency.error !== '' && (
        <Text size="xs" c="red" mt={4}>
          {dependency.error}
        </Text>
      )}
    </div>
  );
}
